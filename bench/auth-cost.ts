/**
 * `node --import tsx bench/auth-cost.ts [--rounds N] [--duration S] [--pairs N] [--same] [--no-gate]`:
 * the cost of token auth and the quarantine gate on manifest GET by tag and by digest (issue 15's
 * <= 10% target), as registry CPU time per request. Two compiled Lazaret processes side by side
 * with the same one-image fixture: one with `auth.mode: none`, one with token auth and the policy
 * enabled (the manifest released by a user with AcrQuarantineWriter, read by the admin, an Owner
 * without quarantine read, with a bearer token for pull: every read goes through the gate).
 * Rounds alternate between them; fresh pairs (`--pairs`) average out one process's JIT and heap
 * layout. Unlike `npm run bench`, both servers got the same history (the bench's auth-on
 * instance has pushed its whole fixture with auth and runs more scenarios, so its heap differs).
 * `--same`: both servers without auth (the method's own noise); `--no-gate`: token auth, policy off;
 * `--profile DIR`: CPU profiles of both.
 * Build first: npm run build.
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
const rounds = arg('rounds', 4);
const pairs = arg('pairs', 1);
const duration = arg('duration', 3);
const same = process.argv.includes('--same');
// `--same-with-header`: as --same, and the second server's requests carry a bearer-sized
// Authorization header it ignores (what the request's size alone costs).
const withHeader = process.argv.includes('--same-with-header');
// `--anonymous`: token auth with anonymous pull on, read without credentials, policy off.
const anonymous = process.argv.includes('--anonymous');
const gate = !process.argv.includes('--no-gate');
// `--profile DIR`: both servers run under `node --cpu-prof` and write DIR/none.cpuprofile and
// DIR/auth.cpuprofile when they stop (bench/profile-summary.ts reads them).
const profileDir = process.argv.includes('--profile') ? process.argv[process.argv.indexOf('--profile') + 1] : undefined;
const inFlight = 32;
const ADMIN_PASSWORD = 'auth-cost-admin-password';
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

const freePort = () => new Promise<number>((r) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => r(p)); }); });
const sha = (b: string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

interface Server { url: string; child: ChildProcess; dir: string; headers: Record<string, string>; digest: string }

async function call(url: string, method: string, path: string, headers: Record<string, string>, body?: string, expect = [200, 201, 202, 204]) {
  const r = await request(`${url}${path}`, { method: method as 'GET', headers, ...(body !== undefined ? { body } : {}) });
  const text = await r.body.text();
  if (!expect.includes(r.statusCode)) throw new Error(`${method} ${path}: ${r.statusCode} ${text.slice(0, 300)}`);
  return { text, headers: r.headers };
}

async function start(auth: boolean): Promise<Server> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'lazaret-acost-'));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, LAZARET_DATA_DIR: dir, LAZARET_LISTEN: `127.0.0.1:${port}`, LAZARET_AUTH_MODE: auth ? 'token' : 'none', LAZARET_ADMIN_PASSWORD: ADMIN_PASSWORD, LAZARET_LOG_LEVEL: 'warn', LAZARET_WORKERS: '1', LAZARET_SCANNER_BUILTIN: 'false', MALLOC_ARENA_MAX: '2' };
  const profiling = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${auth ? 'auth' : 'none'}.cpuprofile`] : [];
  const child = spawn(process.execPath, [...profiling, join(root, 'bin/lazaret.js'), 'serve'], { env, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 400; i++) {
    try { const r = await request(`${url}/healthz`); await r.body.text(); if (r.statusCode === 200) break; } catch { /* starting */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  const admin: Record<string, string> = auth ? { authorization: basic('admin', ADMIN_PASSWORD) } : {};
  const upload = async (data: string) => {
    await call(url, 'POST', `/v2/bench/app/blobs/uploads/?digest=${sha(data)}`, { ...admin, 'content-type': 'application/octet-stream' }, data);
    return { digest: sha(data), size: Buffer.byteLength(data) };
  };
  const config = await upload('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
  const layer = await upload('bench layer');
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }] });
  await call(url, 'PUT', '/v2/bench/app/manifests/v1', { ...admin, 'content-type': MANIFEST }, manifest);
  const digest = sha(manifest);
  let headers: Record<string, string> = { accept: MANIFEST };
  if (auth) {
    const service = `127.0.0.1:${port}`;
    const token = async (user: string, password: string, scope: string) =>
      (JSON.parse((await call(url, 'GET', `/oauth2/token?service=${encodeURIComponent(service)}&scope=${encodeURIComponent(scope)}`, { authorization: basic(user, password) })).text) as { token: string }).token;
    if (anonymous) {
      await call(url, 'PUT', '/api/v1/anonymous-pull', { ...admin, 'content-type': 'application/json' }, JSON.stringify({ enabled: true }));
    } else if (gate) {
      await call(url, 'POST', '/api/v1/users', { ...admin, 'content-type': 'application/json' }, JSON.stringify({ name: 'scanner', password: 'scanner-password-1', roles: [{ role: 'AcrQuarantineWriter' }] }));
      await call(url, 'PATCH', '/api/v1/policies', { ...admin, 'content-type': 'application/json' }, JSON.stringify({ quarantinePolicy: { status: 'enabled' } }));
      const writer = await token('scanner', 'scanner-password-1', 'repository:bench/app:pull,push');
      await call(url, 'PATCH', `/acr/v1/bench/app/_manifests/${digest}`, { authorization: `Bearer ${writer}`, 'content-type': 'application/json' }, JSON.stringify({ quarantineState: 'Passed' }));
      // A second, unreleased manifest must be refused: the gate is on.
      const held = manifest.replace('"schemaVersion":2', '"schemaVersion":2,"annotations":{"held":"1"}');
      await call(url, 'PUT', '/v2/bench/app/manifests/held', { ...admin, 'content-type': MANIFEST }, held);
      headers = { ...headers, authorization: `Bearer ${await token('admin', ADMIN_PASSWORD, 'repository:bench/app:pull')}` };
      await call(url, 'GET', '/v2/bench/app/manifests/held', headers, undefined, [404]);
    } else {
      headers = { ...headers, authorization: `Bearer ${await token('admin', ADMIN_PASSWORD, 'repository:bench/app:pull')}` };
    }
  }
  return { url, child, dir, headers, digest };
}

/** Requests/s and the registry's CPU microseconds per request, for GETs of `ref`. */
async function load(s: Server, ref: string): Promise<{ rate: number; cpuUs: number; split: string }> {
  const cpu0 = treeCpuSeconds(s.child.pid!);
  const threads0 = threadCpuSeconds(s.child.pid!);
  const pool = new Pool(s.url, { connections: inFlight, pipelining: 1 });
  let done = 0;
  const until = performance.now() + duration * 1000;
  const worker = async () => {
    while (performance.now() < until) {
      const r = await pool.request({ path: `/v2/bench/app/manifests/${ref}`, method: 'GET', headers: s.headers });
      await r.body.arrayBuffer();
      if (r.statusCode !== 200) throw new Error(`GET ${ref}: ${r.statusCode}`);
      done++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const rate = done / ((performance.now() - t0) / 1000);
  const cpuUs = ((treeCpuSeconds(s.child.pid!) - cpu0) * 1e6) / Math.max(1, done);
  const threads1 = threadCpuSeconds(s.child.pid!);
  const us = (k: keyof ThreadCpu) => (((threads1[k] - threads0[k]) * 1e6) / Math.max(1, done)).toFixed(0);
  await pool.close();
  return { rate, cpuUs, split: `main ${us('mainUser')} user + ${us('mainSystem')} sys, other threads ${us('others')}` };
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
type Row = { via: 'tag' | 'digest'; none: number; auth: number };

async function pair(index: number): Promise<Row[]> {
  const none = await start(false);
  const auth = await start(!same && !withHeader);
  if (withHeader) auth.headers = { ...auth.headers, authorization: `Bearer ${'x'.repeat(700)}` };
  try {
    const rows: Row[] = [];
    for (const via of ['tag', 'digest'] as const) {
      const ref = (s: Server) => (via === 'tag' ? 'v1' : s.digest);
      for (let i = 0; i < 2; i++) {
        await load(none, ref(none));
        await load(auth, ref(auth));
      }
      for (let i = 0; i < rounds; i++) {
        const first = i % 2 === 0 ? await load(none, ref(none)) : undefined;
        const b = await load(auth, ref(auth));
        const a = first ?? (await load(none, ref(none)));
        rows.push({ via, none: a.cpuUs, auth: b.cpuUs });
        console.log(`pair ${index + 1} by ${via} round ${i + 1}: none ${a.rate.toFixed(0)} req/s ${a.cpuUs.toFixed(1)} us/req, ${same ? 'none again' : gate ? 'auth+gate' : 'auth'} ${b.rate.toFixed(0)} req/s ${b.cpuUs.toFixed(1)} us/req: CPU ratio ${(b.cpuUs / a.cpuUs).toFixed(3)}`);
        console.log(`  us/req by thread: none ${a.split}; other ${b.split}`);
      }
    }
    return rows;
  } finally {
    await Promise.all([none, auth].map((s) => new Promise<void>((resolve) => {
      s.child.once('exit', () => resolve());
      s.child.kill('SIGTERM');
    })));
    for (const s of [none, auth]) rmSync(s.dir, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
for (let p = 0; p < pairs; p++) rows.push(...(await pair(p)));
const label = same ? 'none again / none' : gate ? 'auth+gate / none' : 'auth / none';
for (const via of ['tag', 'digest'] as const) {
  const rs = rows.filter((r) => r.via === via);
  const least = (k: 'none' | 'auth') => Math.min(...rs.map((r) => r[k]));
  console.log(`by ${via}: median CPU per request ${label} ${median(rs.map((r) => r.auth / r.none)).toFixed(3)}; least: none ${least('none').toFixed(1)} us, other ${least('auth').toFixed(1)} us (${(least('auth') / least('none')).toFixed(3)}); ${pairs} pair(s) x ${rounds} rounds of ${duration} s, ${inFlight} in flight`);
}
