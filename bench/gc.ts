/**
 * The cost of garbage collection on a large store: N blobs (default 100,000, BENCH_GC_BLOBS),
 * 10% of them garbage (links no manifest references, old enough), the rest referenced by
 * manifests of 10 layers each. SQLite and the filesystem driver in a temp directory, the real
 * stores and collector (no HTTP: this measures the collector itself). Prints the set-up time,
 * the run's wall time, per-phase counts and the store-walk rate, and checks that exactly the
 * garbage went. Run: node --import tsx bench/gc.ts
 *
 * What it does not measure yet: push and pull throughput while a run goes on (the issue's
 * 80% target); that needs the HTTP bench harness (bench/run.ts) with a GC scenario.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pino from 'pino';
import { openSqliteStore } from '../src/persistence/index.ts';
import { createFsBlobStore } from '../src/storage/fs-blob-store.ts';
import { createCollector } from '../src/lifecycle/gc/collector.ts';
import { digestOf, type Digest } from '../src/oci/digest.ts';

const N = Number(process.env.BENCH_GC_BLOBS ?? 100_000);
const LAYERS = 10;
const dir = mkdtempSync(join(tmpdir(), 'lazaret-bench-gc-'));
try {
  const store = await openSqliteStore(join(dir, 'lazaret.db'));
  const blobs = createFsBlobStore(join(dir, 'blobs'), { fsync: false });
  const t0 = performance.now();
  const garbage = new Set<Digest>();
  let manifests = 0;
  for (let start = 0; start < N; start += 1000) {
    const batch: { digest: Digest; i: number }[] = [];
    for (let i = start; i < Math.min(N, start + 1000); i++) {
      const bytes = `blob ${i}`;
      const digest = digestOf(bytes);
      await blobs.put(digest, Readable.from([Buffer.from(bytes)]));
      batch.push({ digest, i });
    }
    await store.transaction(async (tx) => {
      const repository = `bench/r${Math.floor(start / 10_000)}`;
      const kept: Digest[] = [];
      for (const { digest, i } of batch) {
        await tx.blobs.link(repository, digest, String(i).length + 5);
        if (i % 10 === 9) garbage.add(digest);
        else kept.push(digest);
      }
      for (let k = 0; k < kept.length; k += LAYERS) {
        const refs = kept.slice(k, k + LAYERS);
        await tx.manifests.put(repository, { digest: digestOf(`manifest ${start} ${k}`), mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 10, imageSize: 10, blobs: refs, children: [] });
        manifests++;
      }
    });
  }
  // Manifest records point at bytes that exist? Not needed here: their own digests are not in the store.
  const setup = performance.now() - t0;
  // inFlight 0 and grace 0: the links just made count as old (what a registry months later would have).
  const collector = createCollector({ store, blobs, logger: pino({ level: 'silent' }), settings: { gracePeriodMs: 0, inFlightMs: 0 } });
  const t1 = performance.now();
  const started = await collector.start();
  if (!started.started) throw new Error('did not start');
  const run = await started.done;
  const wall = performance.now() - t1;
  const s = run.summary as { linksRemoved: number; blobsScanned: number; blobsDeleted: number; bytesFreed: number };
  let left = 0;
  let garbageLeft = 0;
  for await (const b of blobs.list()) {
    left++;
    if (garbage.has(b.digest)) garbageLeft++;
  }
  console.log(`store: ${N} blobs, ${manifests} manifests, ${garbage.size} garbage; set-up ${(setup / 1000).toFixed(1)} s`);
  console.log(`gc run: ${run.status}, ${(wall / 1000).toFixed(2)} s wall; links removed ${s.linksRemoved}, blobs looked at ${s.blobsScanned}, deleted ${s.blobsDeleted}`);
  console.log(`rate: ${Math.round(s.blobsScanned / (wall / 1000))} blobs/s overall; ${(wall / s.blobsDeleted).toFixed(2)} ms per deleted blob`);
  console.log(`check: ${left} blobs left (expected ${N - garbage.size}), garbage left ${garbageLeft}`);
  await store.close();
  if (garbageLeft !== 0 || left !== N - garbage.size) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
