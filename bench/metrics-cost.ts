/**
 * `node --import tsx bench/metrics-cost.ts [--rounds N] [--duration S]`: the cost of metrics
 * (and of the tracing hooks when off) on manifest GET throughput. Two compiled Lazaret
 * processes side by side, one with metrics off and one with `metrics.listen` on, the same
 * image pushed to both; rounds alternate between them so a busy machine hurts both alike.
 * Prints requests/s per round and the median ratio (on / off). Build first: npm run build.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool, request } from 'undici';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const rounds = arg('rounds', 5);
const duration = arg('duration', 4);
const inFlight = 32;

const freePort = () => new Promise<number>((r) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => r(p)); }); });
const sha = (b: string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function start(metrics: boolean): Promise<{ url: string; child: ChildProcess; dir: string }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'lazaret-mcost-'));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, LAZARET_DATA_DIR: dir, LAZARET_LISTEN: `127.0.0.1:${port}`, LAZARET_AUTH_MODE: 'none', LAZARET_LOG_LEVEL: 'warn', MALLOC_ARENA_MAX: '2' };
  if (metrics) env.LAZARET_METRICS_LISTEN = `127.0.0.1:${await freePort()}`;
  const child = spawn(process.execPath, [join(root, 'bin/lazaret.js'), 'serve'], { env, stdio: 'ignore' });
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

async function load(url: string): Promise<number> {
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
  await pool.close();
  return rate;
}

const off = await start(false);
const on = await start(true);
try {
  await load(off.url);
  await load(on.url); // warm-up
  const rows: { off: number; on: number }[] = [];
  for (let i = 0; i < rounds; i++) {
    const a = i % 2 === 0 ? await load(off.url) : 0;
    const b = await load(on.url);
    const c = i % 2 === 1 ? await load(off.url) : a;
    rows.push({ off: c, on: b });
    console.log(`round ${i + 1}: metrics off ${c.toFixed(0)} req/s, on ${b.toFixed(0)} req/s, on/off ${(b / c).toFixed(3)}`);
  }
  const ratios = rows.map((r) => r.on / r.off).sort((x, y) => x - y);
  console.log(`median on/off: ${ratios[Math.floor(ratios.length / 2)]!.toFixed(3)} (manifest GET, ${inFlight} in flight, ${duration} s per run, ${rounds} rounds)`);
} finally {
  for (const s of [off, on]) {
    s.child.kill('SIGTERM');
    rmSync(s.dir, { recursive: true, force: true });
  }
}
