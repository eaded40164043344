/**
 * `node --import tsx bench/metrics-cost.ts [--rounds N] [--duration S] [--pairs N] [--same] [--profile DIR]`: the cost of metrics
 * (and of the tracing hooks when off) on manifest GET throughput. Two compiled Lazaret
 * processes side by side, one with metrics off and one with `metrics.listen` on, the same
 * image pushed to both; rounds alternate between them so a busy machine hurts both alike.
 * Prints requests/s and the registry's CPU time per request for each round, and the median
 * ratios (on / off), and where the CPU went: the main thread's user and system time and all
 * other threads' (V8's GC and compiler helpers). On a shared, loaded machine the CPU per request is the steadier figure:
 * throughput there measures the neighbours as much as the registry. Build first: npm run build.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool, request } from 'undici';
import { threadCpuSeconds, treeCpuSeconds, type ThreadCpu } from './lib/proc-stats.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const rounds = arg('rounds', 5);
// `--pairs N`: N fresh pairs of servers one after the other, `--rounds` rounds each. One
// process's JIT and heap layout stay with it for all its rounds, so two identical servers can
// differ by several percent for their whole life (see `--same`): only fresh pairs average that out.
const pairs = arg('pairs', 1);
const duration = arg('duration', 4);
const inFlight = 32;
// `--profile DIR`: both servers run under `node --cpu-prof` and write DIR/off-*.cpuprofile and
// DIR/on-*.cpuprofile when they stop (compare them with bench/profile-summary.ts).
// `--same`: both servers with metrics off, the same code twice: what the bench reports when there
// is no difference (its own noise and any bias of the second server), to read the real figure against.
const same = process.argv.includes('--same');
const profileDir = (() => {
  const i = process.argv.indexOf('--profile');
  return i > 0 ? process.argv[i + 1] : undefined;
})();

const freePort = () => new Promise<number>((r) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => r(p)); }); });
const sha = (b: string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function start(metrics: boolean): Promise<{ url: string; child: ChildProcess; dir: string }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'lazaret-mcost-'));
  const env: NodeJS.ProcessEnv = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('X_'))), PATH: process.env.PATH, LAZARET_DATA_DIR: dir, LAZARET_LISTEN: `127.0.0.1:${port}`, LAZARET_AUTH_MODE: 'none', LAZARET_LOG_LEVEL: 'warn', MALLOC_ARENA_MAX: '2' };
  if (metrics && !same) env.LAZARET_METRICS_LISTEN = `127.0.0.1:${await freePort()}`;
  const profiling = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${metrics ? 'on' : 'off'}.cpuprofile`] : [];
  const child = spawn(process.execPath, [...profiling, join(root, 'bin/lazaret.js'), 'serve'], { env, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 400; i++) {
    try { const r = await request(`${url}/healthz`); await r.body.text(); if (r.statusCode === 200) break; } catch { /* starting */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  const upload = async (data: string) => {
    const r = await request(`${url}/v2/bench/app/blobs/uploads/?digest=${sha(data)}`, { method: 'POST', body: data, headers: { 'content-type': 'application/octet-stream' } });
    await r.body.text();
    return { digest: sha(data), size: Buffer.byteLength(data) };
  };
  const config = await upload('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
  const layer = await upload('bench layer');
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }] });
  const put = await request(`${url}/v2/bench/app/manifests/v1`, { method: 'PUT', body: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
  await put.body.text();
  if (put.statusCode !== 201) throw new Error(`push failed: ${put.statusCode}`);
  return { url, child, dir };
}

/** Requests/s, the registry's CPU microseconds per request (robust on a loaded machine) and its split by thread. */
async function load(target: { url: string; child: ChildProcess }): Promise<{ rate: number; cpuUs: number; threadsUs: ThreadCpu }> {
  const { url } = target;
  const cpu0 = treeCpuSeconds(target.child.pid!);
  const threads0 = threadCpuSeconds(target.child.pid!);
  const pool = new Pool(url, { connections: inFlight, pipelining: 1 });
  let done = 0;
  const until = performance.now() + duration * 1000;
  const worker = async () => {
    while (performance.now() < until) {
      const r = await pool.request({ path: '/v2/bench/app/manifests/v1', method: 'GET', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
      await r.body.arrayBuffer();
      if (r.statusCode !== 200) throw new Error(`GET ${r.statusCode}`);
      done++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const rate = done / ((performance.now() - t0) / 1000);
  const cpuUs = ((treeCpuSeconds(target.child.pid!) - cpu0) * 1e6) / Math.max(1, done);
  const threads1 = threadCpuSeconds(target.child.pid!);
  const perRequest = (k: keyof ThreadCpu) => ((threads1[k] - threads0[k]) * 1e6) / Math.max(1, done);
  await pool.close();
  return { rate, cpuUs, threadsUs: { mainUser: perRequest('mainUser'), mainSystem: perRequest('mainSystem'), others: perRequest('others') } };
}

type Run = { rate: number; cpuUs: number; threadsUs: ThreadCpu };
type Row = { off: Run; on: Run };
const split = (r: Run) => `main ${r.threadsUs.mainUser.toFixed(0)} user + ${r.threadsUs.mainSystem.toFixed(0)} sys, other threads ${r.threadsUs.others.toFixed(0)}`;
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const cpuRatio = (rs: Row[]) => median(rs.map((r) => r.on.cpuUs / r.off.cpuUs));
const rateRatio = (rs: Row[]) => median(rs.map((r) => r.on.rate / r.off.rate));

/** One fresh pair of servers: warm-up, then `rounds` alternating rounds. */
async function pair(index: number): Promise<Row[]> {
  const off = await start(false);
  const on = await start(true);
  try {
    // Warm-up: two runs each, since the first one after start still spends CPU on JIT compiler threads.
    for (let i = 0; i < 2; i++) {
      await load(off);
      await load(on);
    }
    const rows: Row[] = [];
    for (let i = 0; i < rounds; i++) {
      // Who goes first alternates, so a machine that gets busier hurts both alike.
      const first = i % 2 === 0 ? await load(off) : undefined;
      const b = await load(on);
      const c = first ?? (await load(off));
      rows.push({ off: c, on: b });
      console.log(`${pairs > 1 ? `pair ${index + 1} ` : ''}round ${i + 1}: metrics off ${c.rate.toFixed(0)} req/s ${c.cpuUs.toFixed(1)} us CPU/req, on ${b.rate.toFixed(0)} req/s ${b.cpuUs.toFixed(1)} us CPU/req; throughput on/off ${(b.rate / c.rate).toFixed(3)}, CPU on/off ${(b.cpuUs / c.cpuUs).toFixed(3)}`);
      console.log(`  us CPU/req by thread: off ${split(c)}; on ${split(b)}`);
    }
    if (pairs > 1) console.log(`pair ${index + 1}: median throughput on/off ${rateRatio(rows).toFixed(3)}, CPU on/off ${cpuRatio(rows).toFixed(3)}`);
    return rows;
  } finally {
    // Waits for both to exit: a profile is written on the way out.
    await Promise.all([off, on].map((s) => new Promise<void>((resolve) => {
      s.child.once('exit', () => resolve());
      s.child.kill('SIGTERM');
    })));
    for (const s of [off, on]) rmSync(s.dir, { recursive: true, force: true });
  }
}

const perPair: Row[][] = [];
for (let p = 0; p < pairs; p++) perPair.push(await pair(p));
const rows = perPair.flat();
console.log(`median throughput on/off: ${rateRatio(rows).toFixed(3)}; median registry CPU per request on/off: ${cpuRatio(rows).toFixed(3)} (manifest GET, ${inFlight} in flight, ${duration} s per run, ${pairs} pair(s) x ${rounds} rounds${same ? ', --same: both servers metrics off' : ''})`);
if (pairs > 1) console.log(`median of the pairs' medians: throughput on/off ${median(perPair.map(rateRatio)).toFixed(3)}, CPU on/off ${median(perPair.map(cpuRatio)).toFixed(3)}`);
// Contention only ever adds CPU per request, so the least of the rounds is the least noisy figure.
const least = (pick: (r: Row) => Run) => Math.min(...rows.map((r) => pick(r).cpuUs));
const medianOf = (pick: (r: Row) => Run, k: keyof ThreadCpu) => median(rows.map((r) => pick(r).threadsUs[k]));
for (const k of ['mainUser', 'mainSystem', 'others'] as const) console.log(`median us CPU/req, ${k}: off ${medianOf((r) => r.off, k).toFixed(1)}, on ${medianOf((r) => r.on, k).toFixed(1)}`);
console.log(`least registry CPU per request: off ${least((r) => r.off).toFixed(1)} us, on ${least((r) => r.on).toFixed(1)} us, on/off ${(least((r) => r.on) / least((r) => r.off)).toFixed(3)}`);
