/**
 * The cost of a quota on pushes into a big repository (issue 14 §4): a quota check reads the
 * repository's usage, which was a SUM over all its links and manifests and is now a running
 * total read by primary key (docs/storage-lifecycle.md "How usage is kept").
 *
 * A real server in this process (SQLite or PostgreSQL, the filesystem driver, a temp directory,
 * no auth) with a quota on `bench/*`. The repository `bench/big` is filled through the server's
 * own stores with N blob links (BENCH_QUOTA_BLOBS, default 10,000) and N/10 manifests of 10 of
 * them; the bytes are not written (a push into the repository never reads them). Then, over
 * HTTP: P sequential pushes (BENCH_QUOTA_PUSHES, default 100) of a small image (config, one
 * 4 KiB layer, manifest: three quota checks) into `bench/big` and as many into the empty
 * `bench/small`, alternating, so load changes hit both alike; and U calls of the store's
 * usage() for each (what one quota check reads). Printed: median and p90 push latency and the
 * median usage() time per repository, the big/small ratio, the set-up's time (the writes the
 * running total adds to) and the time to delete bench/big. Run the before and after versions at
 * the same time on a shared machine, so the load hits both alike.
 *
 * The script uses only what both versions have, so the "before" figure comes from running the
 * same file on the commit before the change. Run:
 *   node --import tsx bench/quota-push.ts [sqlite|postgres]      (results: bench/README.md "Quotas")
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startInProcessServer } from './lib/in-process-server.ts';
import { digestOf, type Digest } from '../src/oci/digest.ts';

const DIALECT = process.argv[2] === 'postgres' ? 'postgres' : 'sqlite';
const N = Number(process.env.BENCH_QUOTA_BLOBS ?? 10_000);
const PUSHES = Number(process.env.BENCH_QUOTA_PUSHES ?? 100);
const USAGE_CALLS = 200;
const PG_URL = process.env.LAZARET_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

const schema = `lazaret_bench_quota_${randomBytes(4).toString('hex')}`;
const server = await startInProcessServer('quota', { 'auth.mode': 'none', 'scanner.builtin': false, ...(DIALECT === 'postgres' ? { databaseUrl: `${PG_URL}?schema=${schema}` } : {}) });
const { services, url } = server;
try {
  const { store } = services;
  await store.settings.set('lifecycle.quotas', { quotas: [{ repositories: 'bench/*', bytes: 1e15 }] });

  const t0 = performance.now();
  for (let start = 0; start < N; start += 1000) {
    await store.transaction(async (tx) => {
      const layers: Digest[] = [];
      for (let i = start; i < Math.min(N, start + 1000); i++) {
        const digest = digestOf(`blob ${i}`);
        await tx.blobs.link('bench/big', digest, 1000 + i);
        layers.push(digest);
      }
      for (let k = 0; k < layers.length; k += 10) {
        await tx.manifests.put('bench/big', { digest: digestOf(`manifest ${start} ${k}`), mediaType: MANIFEST, size: 500, imageSize: 500, blobs: layers.slice(k, k + 10), children: [] });
      }
    });
  }
  console.log(`${DIALECT}: bench/big holds ${N} blob links and ${N / 10} manifests; set-up ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  let seq = 0;
  async function push(repository: string): Promise<number> {
    const layer = randomBytes(4096);
    const cfg = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', n: seq++ }));
    const t = performance.now();
    for (const b of [cfg, layer]) {
      const r = await fetch(`${url}/v2/${repository}/blobs/uploads/?digest=${digestOf(b)}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: b });
      await r.arrayBuffer();
      if (r.status !== 201) throw new Error(`upload ${r.status}`);
    }
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(cfg), size: cfg.length }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: digestOf(layer), size: layer.length }] }));
    const put = await fetch(`${url}/v2/${repository}/manifests/${digestOf(manifest)}`, { method: 'PUT', headers: { 'content-type': MANIFEST }, body: manifest });
    await put.arrayBuffer();
    if (put.status !== 201) throw new Error(`manifest ${put.status}`);
    return performance.now() - t;
  }

  for (let i = 0; i < 10; i++) await push(i % 2 ? 'bench/big' : 'bench/small'); // warm-up
  const times: Record<string, number[]> = { 'bench/big': [], 'bench/small': [] };
  for (let i = 0; i < 2 * PUSHES; i++) {
    const repository = i % 2 ? 'bench/big' : 'bench/small';
    times[repository]!.push(await push(repository));
  }
  const usage: Record<string, number[]> = { 'bench/big': [], 'bench/small': [] };
  for (let i = 0; i < 2 * USAGE_CALLS; i++) {
    const repository = i % 2 ? 'bench/big' : 'bench/small';
    const t = performance.now();
    await store.quotas.usage(repository);
    usage[repository]!.push(performance.now() - t);
  }
  for (const repository of ['bench/small', 'bench/big']) {
    const p = times[repository]!;
    console.log(`${repository.padEnd(12)} push median ${quantile(p, 0.5).toFixed(2)} ms, p90 ${quantile(p, 0.9).toFixed(2)} ms; usage() median ${quantile(usage[repository]!, 0.5).toFixed(3)} ms (${await store.quotas.usage(repository)} bytes)`);
  }
  const ratio = quantile(times['bench/big']!, 0.5) / quantile(times['bench/small']!, 0.5);
  console.log(`push median big/small: ${ratio.toFixed(2)}`);
  // What the running total costs writers: the whole repository removed in one transaction.
  const t1 = performance.now();
  await store.repositories.delete('bench/big');
  console.log(`delete bench/big (${N + 2 * PUSHES + 10} links, ${N / 10 + PUSHES + 5} manifests): ${(performance.now() - t1).toFixed(0)} ms`);
} finally {
  await server.close();
  if (DIALECT === 'postgres') {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
  }
}
