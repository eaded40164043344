/**
 * Garbage collection on a large store, and what it costs pushes and pulls going on meanwhile.
 *
 * A real server in this process (SQLite, the filesystem driver, a temp directory, no auth) is
 * filled through its own stores with N blobs (default 100,000, BENCH_GC_BLOBS), 10% of them
 * garbage (links no manifest references, aged past the in-flight window), the rest referenced
 * by manifests of 10 layers each. Then rounds alternate, GC on / GC off (BENCH_GC_ROUNDS pairs,
 * default 3), so a machine whose load changes hits both alike: in each round C clients
 * (BENCH_GC_CLIENTS, default 4) push a small image (config, one 4 KiB layer, manifest) over HTTP
 * and pull it back (manifest and layer), for BENCH_GC_WINDOW_MS (default 8000). In an "on"
 * round the collector runs in a loop with a zero grace period (the first run deletes the
 * garbage, the later ones walk the whole store again); a round ends after its run in progress.
 * Before every pair after the first, fresh garbage (N/10 more dangling links and bytes) is
 * added, so each pair's "on" round has a run with something to delete. Each round also reports
 * how long the event loop was held (p99 and max of its delay).
 * Printed: the first run's wall time and counts, every round's pushes+pulls per second, the
 * on/off ratio of each pair and their median (target >= 0.80), and whether exactly the garbage
 * went. Run: node --import tsx bench/gc.ts (results: bench/README.md "Garbage collection")
 */
import { execFileSync } from 'node:child_process';
import { utimesSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { startInProcessServer } from './lib/in-process-server.ts';
import { digestOf, type Digest } from '../src/oci/digest.ts';
import { createFsBlobStore } from '../src/storage/fs-blob-store.ts';

const N = Number(process.env.BENCH_GC_BLOBS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_GC_ROUNDS ?? 3);
const CLIENTS = Number(process.env.BENCH_GC_CLIENTS ?? 4);
const WINDOW_MS = Number(process.env.BENCH_GC_WINDOW_MS ?? 8000);
const LAYERS = 10;
const HOUR = 3_600_000;
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * After filling: the set-up's writes (files written without fsync, a WAL of every row) would
 * otherwise be flushed during the next round, whichever it is (the first is always an "on"
 * round): checkpoint the WAL and write back the page cache before timing anything.
 */
function settle(raw: Database.Database): void {
  raw.pragma('wal_checkpoint(TRUNCATE)');
  raw.close();
  execFileSync('sync');
}

const server = await startInProcessServer('gc', { 'auth.mode': 'none', 'scanner.builtin': false });
const { services, url, dataDir: dir } = server;
try {
  const { store, blobs } = services;

  // The store: N blobs, every tenth a dangling link (garbage), the rest layers of manifests.
  // Written without fsync (the server's own store syncs each blob: minutes for 100,000).
  const prefill = createFsBlobStore(join(dir, 'blobs'), { fsync: false });
  const t0 = performance.now();
  const garbage = new Set<Digest>();
  let manifests = 0;
  for (let start = 0; start < N; start += 1000) {
    const batch: { digest: Digest; i: number }[] = [];
    for (let i = start; i < Math.min(N, start + 1000); i++) {
      const bytes = `blob ${i}`;
      const digest = digestOf(bytes);
      await prefill.put(digest, Readable.from([Buffer.from(bytes)]));
      batch.push({ digest, i });
    }
    await store.transaction(async (tx) => {
      const repository = `bench/r${Math.floor(start / 10_000)}`;
      await tx.repositories.ensure(repository);
      const kept: Digest[] = [];
      for (const { digest, i } of batch) {
        await tx.blobs.link(repository, digest, String(i).length + 5);
        if (i % 10 === 9) garbage.add(digest);
        else kept.push(digest);
      }
      for (let k = 0; k < kept.length; k += LAYERS) {
        await tx.manifests.put(repository, { digest: digestOf(`manifest ${start} ${k}`), mediaType: MANIFEST, size: 10, imageSize: 10, blobs: kept.slice(k, k + LAYERS), children: [] });
        manifests++;
      }
    });
  }
  // Aged past the in-flight window (what a registry would hold months on): links and bytes two hours old.
  const raw = new Database(join(dir, 'lazaret.db'));
  raw.prepare('update blob_links set created_at = created_at - ?').run(2 * HOUR);
  settle(raw);
  const old = new Date(Date.now() - 2 * HOUR);
  for (const d of garbage) utimesSync(join(dir, 'blobs', 'sha256', d.slice(7, 9), d.slice(7)), old, old);
  console.log(`store: ${N} blobs, ${manifests} manifests, ${garbage.size} garbage; set-up ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // Fresh garbage before every "on" round after the first, as much as the store started with,
  // so every pair measures a run that has something to delete (not only a walk).
  let garbageRound = 0;
  async function addGarbage(count: number): Promise<void> {
    const repository = `bench/garbage${++garbageRound}`;
    const fresh: Digest[] = [];
    for (let start = 0; start < count; start += 1000) {
      const batch: Digest[] = [];
      for (let i = start; i < Math.min(count, start + 1000); i++) {
        const bytes = `garbage ${garbageRound} ${i}`;
        const digest = digestOf(bytes);
        await prefill.put(digest, Readable.from([Buffer.from(bytes)]));
        batch.push(digest);
      }
      await store.transaction(async (tx) => {
        await tx.repositories.ensure(repository);
        for (const d of batch) await tx.blobs.link(repository, d, 20);
      });
      fresh.push(...batch);
    }
    const db = new Database(join(dir, 'lazaret.db'));
    db.prepare('update blob_links set created_at = created_at - ? where repository = ?').run(2 * HOUR, repository);
    for (const d of fresh) {
      utimesSync(join(dir, 'blobs', 'sha256', d.slice(7, 9), d.slice(7)), old, old);
      garbage.add(d);
    }
    settle(db);
  }

  // One client's loop: push a small image and pull it back, until `until`. Returns operations done (a push and a pull count as 2).
  let seq = 0;
  async function client(w: number, until: number): Promise<{ ops: number; failures: number }> {
    let ops = 0;
    let failures = 0;
    while (Date.now() < until) {
      const repository = `load/w${w}`;
      const layer = randomBytes(4096);
      const cfg = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', n: seq++ }));
      let ok = true;
      for (const b of [cfg, layer]) {
        const r = await fetch(`${url}/v2/${repository}/blobs/uploads/?digest=${digestOf(b)}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: b });
        await r.arrayBuffer();
        ok &&= r.status === 201;
      }
      const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(cfg), size: cfg.length }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: digestOf(layer), size: layer.length }] }));
      const put = await fetch(`${url}/v2/${repository}/manifests/${digestOf(manifest)}`, { method: 'PUT', headers: { 'content-type': MANIFEST }, body: manifest });
      await put.arrayBuffer();
      ok &&= put.status === 201;
      const m = await fetch(`${url}/v2/${repository}/manifests/${digestOf(manifest)}`, { headers: { accept: MANIFEST } });
      const l = await fetch(`${url}/v2/${repository}/blobs/${digestOf(layer)}`);
      ok &&= m.status === 200 && Buffer.from(await m.arrayBuffer()).equals(manifest) && l.status === 200 && Buffer.from(await l.arrayBuffer()).equals(layer);
      if (ok) ops += 2;
      else failures++;
    }
    return { ops, failures };
  }

  type Round = { gc: boolean; perSecond: number; failures: number; runs: number; cpuMsPerOp: number; loopP99Ms: number; loopMaxMs: number; firstRunMs?: number };
  let first: { wallMs: number; summary: Record<string, number> } | undefined;
  async function round(gc: boolean): Promise<Round> {
    const until = Date.now() + WINDOW_MS;
    const cpu0 = process.cpuUsage();
    // How long the event loop was held: the collector's synchronous steps (better-sqlite3 is
    // synchronous) are what stall every request of a single-process registry.
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    let runs = 0;
    let firstRunMs: number | undefined;
    const loop = (async () => {
      while (gc && Date.now() < until) {
        const t = performance.now();
        const r = await services.gc.start({ gracePeriodMs: 0 });
        if (!r.started) throw new Error('the collector did not start');
        const done = await r.done;
        if (done.status !== 'done') throw new Error(`gc run ${done.status}: ${done.error}`);
        first ??= { wallMs: performance.now() - t, summary: done.summary as unknown as Record<string, number> };
        firstRunMs ??= performance.now() - t;
        runs++;
      }
    })();
    const results = await Promise.all(Array.from({ length: CLIENTS }, (_, w) => client(w, until)));
    const cpu = process.cpuUsage(cpu0);
    delay.disable();
    await loop;
    const ops = results.reduce((a, r) => a + r.ops, 0);
    return { gc, perSecond: ops / (WINDOW_MS / 1000), failures: results.reduce((a, r) => a + r.failures, 0), runs, cpuMsPerOp: (cpu.user + cpu.system) / 1000 / Math.max(ops, 1), loopP99Ms: delay.percentile(99) / 1e6, loopMaxMs: delay.max / 1e6, ...(firstRunMs !== undefined ? { firstRunMs } : {}) };
  }

  // A warm-up round, not counted: the process's first load compiles the request path (JIT),
  // which would otherwise count against whichever round comes first.
  const warm = await round(false);
  console.log(`warm-up (not counted): ${warm.perSecond.toFixed(1)} pushes+pulls/s`);
  const rounds: Round[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    if (i > 0) await addGarbage(Math.round(N / 10));
    for (const gc of [true, false]) {
      const r = await round(gc);
      rounds.push(r);
      console.log(`round ${rounds.length} gc ${gc ? 'on ' : 'off'}: ${r.perSecond.toFixed(1)} pushes+pulls/s, ${r.cpuMsPerOp.toFixed(2)} ms CPU per op (this process: server, collector and clients), event loop held p99 ${r.loopP99Ms.toFixed(0)} ms, max ${r.loopMaxMs.toFixed(0)} ms, ${r.failures} failed${gc ? `, ${r.runs} gc runs, the first (with garbage) ${((r.firstRunMs ?? 0) / 1000).toFixed(1)} s` : ''}`);
    }
  }
  const ratios = Array.from({ length: ROUNDS }, (_, i) => rounds[2 * i]!.perSecond / rounds[2 * i + 1]!.perSecond);
  const s = first!.summary;
  console.log(`first gc run (with the garbage, under load): ${(first!.wallMs / 1000).toFixed(2)} s wall; links removed ${s.linksRemoved}, blobs looked at ${s.blobsScanned}, deleted ${s.blobsDeleted}`);
  console.log(`ratio gc on / off per pair: ${ratios.map((r) => r.toFixed(2)).join(', ')}; median ${median(ratios).toFixed(2)} (target >= 0.80)`);

  let garbageLeft = 0;
  for (const d of garbage) if (await blobs.stat(d)) garbageLeft++;
  let keptMissing = 0;
  for (let i = 0; i < N; i++) if (i % 10 !== 9 && !(await blobs.stat(digestOf(`blob ${i}`)))) keptMissing++;
  console.log(`check: garbage left ${garbageLeft}, referenced blobs missing ${keptMissing}, failed operations ${rounds.reduce((a, r) => a + r.failures, 0)}`);
  if (garbageLeft !== 0 || keptMissing !== 0 || rounds.some((r) => r.failures > 0)) process.exitCode = 1;
} finally {
  await server.close();
}
