#!/usr/bin/env node
// `npm run build`: compiles src/ into an ES module bundle, dist/lazaret.js (plus chunks loaded on demand), that bin/lazaret.js runs
// without the TypeScript loader (tsx costs ~37 MiB and most of a second at start).
//
// Why a bundle (esbuild) and not tsc's file-per-module output: Node resolves and reads each
// ES module through the thread pool, and src/ is ~200 modules; one file starts in a fraction of
// the time. Packages stay external (`packages: 'external'`): they load from node_modules as
// usual (native better-sqlite3, pino's worker transports). Type checking is `npm run
// typecheck` (and `npm test`), not the build's job. A source map is written beside the bundle;
// `NODE_OPTIONS=--enable-source-maps` makes stack traces point into src/ (off by default: it
// costs start time).
import { build } from 'esbuild';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { startModuleBreaches } from './start-modules.mjs';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));

// Packages that cannot live inside a bundle: native addons; pino, whose transports run in
// worker threads that load modules by file name; CycloneDX, which probes optional packages
// (XML writers, validators) with require() at run time.
const EXTERNAL = ['better-sqlite3', 'pg-native', 'pino', 'pino-pretty', 'thread-stream', '@cyclonedx/cyclonedx-library'];

const started = performance.now();
rmSync(`${root}dist`, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/index.ts'],
  // Code loaded only on demand (tracing, off unless configured) goes to its own chunk, so a
  // node without it never even parses it.
  outdir: 'dist',
  entryNames: 'lazaret',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: EXTERNAL,
  sourcemap: 'linked',
  logLevel: 'warning',
  metafile: true,
  // V8 keeps every loaded module's source text in the heap for as long as the process runs
  // (lazy compilation reparses it). Without whitespace and comments, and with non-ASCII
  // characters escaped (a single one makes V8 store a whole chunk as two bytes per character),
  // the loaded source shrinks from ~10 MiB to ~3 MiB (bench/README.md, "Memory"). Names are
  // kept (no identifier minification), so stack traces and error classes read as in src/; the
  // source map maps lines back.
  minifyWhitespace: true,
  minifySyntax: true,
  charset: 'ascii',
  // CommonJS packages inside an ES module bundle call require() for Node's built-ins and the
  // external packages: give the bundle a real one.
  banner: {
    js: [
      `// Lazaret ${pkg.version}: built from src/ by scripts/build.mjs; do not edit.`,
      `import { createRequire as __lazaretCreateRequire } from 'node:module';`,
      `const require = __lazaretCreateRequire(import.meta.url);`,
    ].join('\n'),
  },
});
writeFileSync(`${root}dist/meta.json`, JSON.stringify(result.metafile));
writeFileSync(`${root}dist/package.json`, JSON.stringify({ type: 'module' }) + '\n');
const breaches = startModuleBreaches(result.metafile);
if (breaches.length) {
  console.error(`build: packages meant to load on first use are in the start (scripts/start-modules.mjs):\n  ${breaches.join('\n  ')}`);
  process.exit(1);
}
if (!process.argv.includes('--quiet')) console.log(`dist/lazaret.js built in ${Math.round(performance.now() - started)} ms`);
