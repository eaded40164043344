// Which packages `lazaret serve` loads at start, from the build's metafile (scripts/build.mjs
// runs the check after every build). Start = the entry chunk, the `serve` command's chunk
// (src/main.ts, imported by the command) and every chunk they import statically.
//
// Why a check: these packages are imported on first use because an idle registry does not need
// them, and one re-export in a module's index.ts is enough to pull one back into every start
// (undici came back that way: ~5 MiB of idle RSS, bench/README.md issue 15). The list names
// packages whose loading place is a decision; a new dependency is not checked until added here.
const LOADED_ON_FIRST_USE = [
  'undici', // webhook deliveries, scanner calls, the CLI's requests
  '@aws-sdk/', // storage.driver s3
  'pg', // a postgres databaseUrl
  'prom-client', // metrics
  '@opentelemetry/', // metrics and tracing
  '@bufbuild/', // release policies: CEL
  '@sigstore/', // release policies: keyless signatures
  'cbor2', // release policies: Notation COSE envelopes
];

const START_SOURCES = ['src/cli/index.ts', 'src/main.ts'];

/** The packages of LOADED_ON_FIRST_USE that a start loads, each with one chunk that holds it. */
export function startModuleBreaches(metafile) {
  const outputs = metafile.outputs;
  const queue = Object.keys(outputs).filter((o) => START_SOURCES.includes(outputs[o].entryPoint));
  const seen = new Set(queue);
  while (queue.length) {
    for (const i of outputs[queue.shift()].imports) {
      if (i.kind !== 'import-statement' || i.external || seen.has(i.path)) continue;
      seen.add(i.path);
      queue.push(i.path);
    }
  }
  const breaches = new Map();
  for (const chunk of seen) {
    for (const input of Object.keys(outputs[chunk].inputs)) {
      const at = input.lastIndexOf('node_modules/');
      if (at < 0) continue;
      const name = input.slice(at + 'node_modules/'.length);
      const hit = LOADED_ON_FIRST_USE.find((p) => (p.endsWith('/') ? name.startsWith(p) : name === p || name.startsWith(`${p}/`)));
      if (hit && !breaches.has(hit)) breaches.set(hit, `${chunk} (${input})`);
    }
  }
  return [...breaches].map(([name, where]) => `${name} is loaded at start: ${where}`);
}
