/**
 * Where a Lazaret process's memory goes, step by step (not part of `npm run bench`):
 * `node --import tsx bench/memory-probe.ts [--auth] [--steps idle,fixture,token,get,pull,push]`.
 *
 * It starts one compiled Lazaret as the bench does (lib/targets.ts: same environment, one
 * process, built-in scanner off) with the inspector on, loads the bench fixture, and after
 * each step prints the RSS split: the kernel's view (/proc status: anonymous vs file-backed),
 * V8's (heap spaces, external and array buffers through the inspector) and malloc's (the
 * anonymous mappings from /proc smaps grouped as the main heap, thread arenas and other maps).
 * RSS hardly depends on machine load, so this runs on a busy machine too.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { freePort, installCleanup, stopAll, ensureTools } from './lib/children.ts';
import { MiB, randomFile } from './lib/data.ts';
import { REPOS, makeFixtureData, setupFixture } from './lib/fixture.ts';
import { InspectorProfiler } from './lib/inspector-profiler.ts';
import { forEachConcurrent, pullScope, pushScope } from './lib/registry-client.ts';
import { startLazaret, stopInstance, type Instance } from './lib/targets.ts';
import { runWrk } from './lib/wrk.ts';
import { MANIFEST_ACCEPT } from './lib/verify.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const workDir = join(repoRoot, 'bench', 'work');
const args = process.argv.slice(2);
const auth = args.includes('--auth');
const stepsArg = args[args.indexOf('--steps') + 1];
const steps = (args.includes('--steps') && stepsArg ? stepsArg : 'idle,fixture,token,get,pull,push').split(',');
/** `--node-flags "--a --b"`: flags for Lazaret's node, to compare settings. */
const nodeFlags = args.includes('--node-flags') ? args[args.indexOf('--node-flags') + 1]!.split(' ').filter(Boolean) : [];
const mib = (kib: number) => Math.round(kib / 102.4) / 10;

function status(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const m = /^(VmRSS|VmHWM|RssAnon|RssFile|Threads):\s+(\d+)/.exec(line);
    if (m) out[m[1]!] = m[1] === 'Threads' ? Number(m[2]) : mib(Number(m[2]));
  }
  return out;
}

/** Resident anonymous memory by kind of mapping (smaps): what malloc holds vs everything else. */
function anonymousMaps(pid: number): Record<string, number> {
  const groups: Record<string, number> = { brkHeap: 0, arenas64M: 0, otherAnon: 0 };
  let kind = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+)\s+\S+\s+\S+\s+\S+\s+(\d+)\s*(.*)$/.exec(line);
    if (head) {
      const name = head[4]!.trim();
      const start = BigInt(`0x${head[1]}`);
      // glibc's thread arenas are 64 MiB-aligned reservations (HEAP_MAX_SIZE)
      kind = name === '[heap]' ? 'brkHeap' : name === '' ? (start % (64n << 20n) === 0n ? 'arenas64M' : 'otherAnon') : '';
      continue;
    }
    const rss = /^Rss:\s+(\d+)/.exec(line);
    if (rss && kind) groups[kind]! += Number(rss[1]);
  }
  return Object.fromEntries(Object.entries(groups).map(([k, v]) => [k, mib(v)]));
}

async function v8View(inspector: InspectorProfiler): Promise<Record<string, number>> {
  const expr = `JSON.stringify((() => { const m = process.memoryUsage(); const s = {}; for (const sp of require('node:v8').getHeapSpaceStatistics()) s[sp.space_name] = sp.space_used_size; return { heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, ...s }; })())`;
  const r = await inspector.send('Runtime.evaluate', { expression: expr, returnByValue: true, includeCommandLineAPI: true }) as { result: { value?: string; description?: string } };
  if (!r.result.value) throw new Error(`inspector: ${r.result.description}`);
  const raw = JSON.parse(r.result.value) as Record<string, number>;
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k.replace('_space', ''), Math.round(v / 104857.6) / 10]));
}

async function report(step: string, instance: Instance, inspector: InspectorProfiler, peakSince?: boolean): Promise<void> {
  const s = status(instance.pid);
  console.log(`\n== ${step}${peakSince ? ` (VmHWM since the step began: ${s.VmHWM} MiB)` : ''}`);
  console.log('  kernel', JSON.stringify(s));
  console.log('  malloc', JSON.stringify(anonymousMaps(instance.pid)));
  console.log('  v8    ', JSON.stringify(await v8View(inspector)));
}

function resetPeak(pid: number): void {
  try {
    require_writeFile(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // not permitted: the peak is then the process's lifetime peak
  }
}
import { writeFileSync as require_writeFile } from 'node:fs';

async function main(): Promise<void> {
  installCleanup();
  process.env.MALLOC_MMAP_THRESHOLD_ ??= '131072';
  const tools = ensureTools();
  const inspectPort = await freePort();
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --inspect=127.0.0.1:${inspectPort}`.trim();
  const dataDir = join(workDir, 'data');
  const bigFiles = [0, 1].map((i) => randomFile(dataDir, `blob-64m-${i}`, 64 * MiB));
  const fixture = makeFixtureData(bigFiles[0]!);
  const instance = await startLazaret(repoRoot, { auth, adminUser: 'admin', adminPassword: `pw-${randomBytes(6).toString('hex')}`, nodeArgs: nodeFlags });
  delete process.env.NODE_OPTIONS;
  const inspector = await InspectorProfiler.connect(inspectPort);
  const { client } = instance;
  try {
    await new Promise((r) => setTimeout(r, 3000));
    await report('idle (3 s after the first answer)', instance, inspector);
    for (const step of steps.filter((s) => s !== 'idle')) {
      resetPeak(instance.pid);
      if (step === 'fixture') {
        await setupFixture(instance, fixture);
      } else if (step === 'token') {
        if (!auth) continue;
        await forEachConcurrent(Array.from({ length: 40 }, (_, i) => i), 8, async () => {
          const res = await fetch(client.auth!.tokenUrl([pullScope(REPOS.manifests)]), { headers: { authorization: client.auth!.basic } });
          await res.arrayBuffer();
        });
      } else if (step === 'get') {
        const headers: Record<string, string> = { accept: MANIFEST_ACCEPT, ...(await client.authHeaders([pullScope(REPOS.manifests)])) };
        await runWrk(tools.wrk, workDir, { url: `${instance.origin}/v2/${REPOS.manifests}/manifests/latest`, connections: 64, seconds: 4, headers });
      } else if (step === 'pull') {
        const pool = client.pool(4);
        const headers = await client.authHeaders([pullScope(REPOS.blobs)]);
        await forEachConcurrent(Array.from({ length: 12 }, (_, i) => i), 4, async () => {
          const res = await pool.request({ method: 'GET', path: `/v2/${REPOS.blobs}/blobs/${fixture.bigBlob.digest}`, headers });
          await res.body.dump({ limit: Number.MAX_SAFE_INTEGER });
        });
        await pool.close();
      } else if (step === 'push') {
        const pool = client.pool(2);
        const headers = await client.authHeaders([pushScope(REPOS.pushBig)]);
        await forEachConcurrent([0, 1, 0, 1], 2, async (i) => {
          await client.pushBlob(pool, REPOS.pushBig, bigFiles[i]!, headers);
        });
        await pool.close();
      }
      await report(`after ${step}`, instance, inspector, true);
    }
  } finally {
    inspector.close();
    await stopInstance(instance, false);
    await stopAll();
  }
}

await main();
