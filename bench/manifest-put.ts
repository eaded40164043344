/**
 * Manifest PUT on SQLite, one build against another (not part of `npm run bench`):
 * `node --import tsx bench/manifest-put.ts [--base DIR] [--variant NAME:K=V,K=V ...] [--rounds 3] [--duration 6]`.
 *
 * The bench's `manifest-put` scenario (distinct manifests, each under a new tag, c=16) on one
 * compiled Lazaret of this checkout and, with `--base`, one of another checkout's compiled build
 * (e.g. a worktree of main), and with each `--variant` one more of this checkout with that
 * environment, alternating rounds on all. Per round: operations per second, p50
 * and p99 latency, the server's CPU per PUT (main thread user+system, and the other threads),
 * and the size of the SQLite WAL file at the end of the round and its largest sampled size.
 */
import { statSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installCleanup, stopAll } from './lib/children.ts';
import { imageConfig, imageManifest, sha256, type MemBlob } from './lib/data.ts';
import { loadAverages, threadCpuSeconds } from './lib/proc-stats.ts';
import { timedLanes } from './lib/scenario.ts';
import { startLazaret, stopInstance, type Instance } from './lib/targets.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const base = option('--base');
const rounds = Number(option('--rounds') ?? 3);
const seconds = Number(option('--duration') ?? 6);
const REPO = 'bench/manifest-put';

installCleanup();
const variants = args.flatMap((a, i) => (a === '--variant' ? [args[i + 1]!] : [])).map((v) => {
  const [label, env = ''] = v.split(/:(.*)/s);
  return { label: label!, root: repoRoot, env: Object.fromEntries(env.split(',').filter(Boolean).map((kv) => kv.split(/=(.*)/s).slice(0, 2) as [string, string])) };
});
const roots = [{ label: 'this', root: repoRoot, env: {} }, ...(base ? [{ label: 'base', root: resolve(base), env: {} }] : []), ...variants];
const instances: { label: string; instance: Instance; n: number }[] = [];
const config = imageConfig('manifest-put');
const layerData = Buffer.from(`manifest-put layer ${Date.now()}`);
const layer: MemBlob = { data: layerData, digest: sha256(layerData) };
try {
  for (const { label, root, env } of roots) {
    const instance = await startLazaret(root, { auth: false, adminUser: 'admin', adminPassword: 'unused', env });
    const pool = instance.client.pool(2);
    for (const blob of [config, layer]) await instance.client.pushBlob(pool, REPO, blob, {});
    await pool.close();
    instances.push({ label, instance, n: 0 });
  }
  console.log(`manifest-put: ${rounds} round(s) of ${seconds} s at c=16, load ${loadAverages()}`);
  console.log('| round | build | ops/s | p50 ms | p99 ms | main-thread CPU/PUT | other threads/PUT | WAL at end / max |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (let round = 1; round <= rounds; round++) {
    for (const entry of instances) {
      const { instance } = entry;
      const client = instance.client;
      const pool = client.pool(16);
      const size = (b: MemBlob) => ({ digest: b.digest, size: b.data.length });
      const manifests = Array.from({ length: 5000 * seconds }, (_, i) => imageManifest(size(config), [size(layer)], `${entry.label}-${round}-${i}`));
      const wal = join(instance.dataDir, 'lazaret.db-wal');
      const walSize = () => {
        try {
          return statSync(wal).size;
        } catch {
          return 0;
        }
      };
      let walMax = 0;
      const sampler = setInterval(() => (walMax = Math.max(walMax, walSize())), 50);
      const before = threadCpuSeconds(instance.pid);
      const outcome = await timedLanes(16, seconds, async (_lane, n) => {
        await client.putManifest(pool, REPO, `p-${entry.label}-${round}-${n}`, manifests[n]!, {});
      });
      const after = threadCpuSeconds(instance.pid);
      clearInterval(sampler);
      await pool.close();
      if (outcome.errors) throw new Error(`${entry.label}: ${outcome.firstError}`);
      const us = (s: number) => `${Math.round((s * 1e6) / outcome.ops)} us`;
      const main = after.mainUser + after.mainSystem - before.mainUser - before.mainSystem;
      const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
      console.log(`| ${round} | ${entry.label} | ${Math.round(outcome.ops / outcome.seconds)} | ${outcome.p50Ms?.toFixed(1)} | ${outcome.p99Ms?.toFixed(1)} | ${us(main)} | ${us(after.others - before.others)} | ${mib(walSize())} / ${mib(Math.max(walMax, walSize()))} |`);
    }
  }
  console.log(`load after: ${loadAverages()}`);
} finally {
  for (const { instance } of instances) await stopInstance(instance, false);
  await stopAll();
}
