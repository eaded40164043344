/**
 * `lazaret serve --workers 2` as a process tree: two workers on one port and one SQLite file.
 * Each client below holds one keep-alive connection, which the primary hands to one worker;
 * GET /api/v1/status says which worker answered. Checked: both workers serve; pushes through
 * both at once all commit (SQLite write transactions across processes wait instead of failing);
 * a policy change on one worker is in force on the other at once (the primary relays the
 * notification); one scrape of /metrics (the metrics listener or the main port, through either
 * worker) shows the whole node: counters of both workers add up, the database's gauges count once,
 * and `lazaret status` names the node's uptime and the worker that answered; a killed worker is
 * replaced; SIGTERM stops every worker and the primary exits 0; a busy port ends the start with
 * exit 1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'undici';
import { spawnServer, type SpawnedServer } from './helpers/spawn-server.ts';
import { buildImage, digestOf } from './helpers/registry-client.ts';
import { freePort } from './helpers/free-port.ts';
import { parse, value } from './helpers/prometheus.ts';

const BIN = fileURLToPath(new URL('../bin/lazaret.js', import.meta.url));

/** One connection to the registry (so one worker). */
function pinned(url: string) {
  const client = new Client(url, { keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000, pipelining: 1 });
  async function req(method: string, path: string, body?: Buffer | string, headers: Record<string, string> = {}) {
    const res = await client.request({ method: method as 'GET', path, headers, ...(body !== undefined ? { body } : {}) });
    const bytes = Buffer.from(await res.body.arrayBuffer());
    return { status: res.statusCode, headers: res.headers, body: bytes };
  }
  return {
    req,
    async worker(): Promise<{ worker: number; pid: number }> {
      const res = await req('GET', '/api/v1/status');
      assert.equal(res.status, 200, res.body.toString());
      const s = JSON.parse(res.body.toString()).process;
      return { worker: s.worker, pid: s.pid };
    },
    async push(repository: string, tag: string, seed: string) {
      const image = buildImage({ salt: seed });
      for (const blob of [image.config, ...image.layers]) {
        const res = await req('POST', `/v2/${repository}/blobs/uploads/?digest=${digestOf(blob)}`, blob, { 'content-type': 'application/octet-stream' });
        assert.equal(res.status, 201, res.body.toString());
      }
      const res = await req('PUT', `/v2/${repository}/manifests/${tag}`, image.manifestBytes, { 'content-type': image.manifest.mediaType });
      assert.equal(res.status, 201, res.body.toString());
      return image;
    },
    close: () => client.close(),
  };
}
type Pinned = ReturnType<typeof pinned>;

describe('lazaret serve --workers 2 (SQLite)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lazaret-workers-'));
  let server: SpawnedServer;
  const clients: Pinned[] = [];
  /** One pinned client per worker: [on worker 1, on worker 2]. */
  let byWorker: Pinned[] = [];
  let metricsUrl: string;

  before(async () => {
    metricsUrl = `http://127.0.0.1:${await freePort()}`;
    server = await spawnServer({ LAZARET_DATA_DIR: dataDir, LAZARET_AUTH_MODE: 'none', LAZARET_WORKERS: '2', LAZARET_METRICS_LISTEN: new URL(metricsUrl).host, LAZARET_METRICS_MAIN_PORT: 'true' }, 90_000);
    // Wait until both workers listen (the first logs "listening" before the second starts).
    const deadline = Date.now() + 60_000;
    while (!server.output.some((l) => l.includes('serves with 2 workers'))) {
      if (Date.now() > deadline) throw new Error(`the workers did not start:\n${server.output.join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const found = new Map<number, Pinned>();
    for (let i = 0; i < 8 && found.size < 2; i++) {
      const c = pinned(server.url);
      clients.push(c);
      const { worker } = await c.worker();
      if (!found.has(worker)) found.set(worker, c);
    }
    byWorker = [found.get(1)!, found.get(2)!];
  });
  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await server?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('connections are shared out to both workers, each a process of its own', async () => {
    assert.ok(byWorker[0] && byWorker[1], 'a connection reached each worker');
    const [a, b] = [await byWorker[0].worker(), await byWorker[1].worker()];
    assert.deepEqual([a.worker, b.worker], [1, 2]);
    assert.notEqual(a.pid, b.pid);
    assert.notEqual(a.pid, server.process.pid, 'the primary serves nothing itself');
  });

  test('pushes through both workers at once all commit, and each worker serves what the other pushed', async () => {
    // Eight connections (four per worker), three pushes on each, all at once: write
    // transactions of two processes on one SQLite file overlap all the time.
    const conns = Array.from({ length: 8 }, () => pinned(server.url));
    clients.push(...conns);
    const pushes = conns.flatMap((c, i) => [0, 1, 2].map((j) => c.push('workers/busy', `t${i}-${j}`, `seed-${i}-${j}`)));
    const images = await Promise.all(pushes);
    const workersUsed = new Set(await Promise.all(conns.map(async (c) => (await c.worker()).worker)));
    assert.deepEqual([...workersUsed].sort(), [1, 2]);
    const [one, two] = byWorker as [Pinned, Pinned];
    for (const [k, image] of images.entries()) {
      const tag = `t${Math.floor(k / 3)}-${k % 3}`;
      for (const c of [one, two]) {
        const res = await c.req('GET', `/v2/workers/busy/manifests/${tag}`, undefined, { accept: image.manifest.mediaType });
        assert.equal(res.status, 200);
        assert.ok(res.body.equals(image.manifestBytes));
      }
    }
    const tags = JSON.parse((await one.req('GET', '/v2/workers/busy/tags/list')).body.toString()).tags;
    assert.equal(tags.length, 24);
  });

  test('a quarantine policy change on one worker is in force on the other at once', async () => {
    const [one, two] = byWorker as [Pinned, Pinned];
    const image = await one.push('workers/gate', 'v1', 'gate');
    const get = (c: Pinned) => c.req('GET', '/v2/workers/gate/manifests/v1', undefined, { accept: image.manifest.mediaType });
    // Worker 2 reads the policy (off) into its cache.
    assert.equal((await get(two)).status, 200);
    const policy = (c: Pinned, status: string) => c.req('PATCH', '/api/v1/policies', JSON.stringify({ quarantinePolicy: { status } }), { 'content-type': 'application/json' });
    assert.equal((await policy(one, 'enabled')).status, 200);
    // No wait: the image without a verdict is held on worker 2 right after worker 1 answered
    // (its cached "off" would otherwise serve it for up to a second).
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await get(two)).status, 404);
    assert.equal((await policy(two, 'disabled')).status, 200);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await get(one)).status, 200);
  });

  test('one scrape shows the whole node: both workers\' counters add up, the database\'s gauges count once', async () => {
    const [one, two] = byWorker as [Pinned, Pinned];
    const scrape = async () => {
      const res = await fetch(`${metricsUrl}/metrics`);
      assert.equal(res.status, 200);
      return parse(await res.text());
    };
    const v2 = (m: Map<string, number>) => value(m, 'lazaret_http_requests_total', { route: '/v2/', method: 'GET', status: '200' });
    const before = await scrape();
    for (let i = 0; i < 3; i++) assert.equal((await one.req('GET', '/v2/')).status, 200);
    for (let i = 0; i < 5; i++) assert.equal((await two.req('GET', '/v2/')).status, 200);
    const after = await scrape();
    // A scrape of one worker would have moved by 3 or by 5.
    assert.equal(v2(after) - v2(before), 8, 'the requests of both workers');
    assert.equal(value(after, 'lazaret_workers', { state: 'configured' }), 2);
    assert.equal(value(after, 'lazaret_workers', { state: 'scraped' }), 2);
    const status = JSON.parse((await one.req('GET', '/api/v1/status')).body.toString());
    assert.equal(value(after, 'lazaret_repositories'), status.repositories, 'the database\'s count, not once per worker');
    assert.ok(status.repositories > 0);
    assert.ok(value(after, 'process_resident_memory_bytes') > 0);
    // /metrics on the main port answers the same merged view, whichever worker took it.
    for (const c of [one, two]) {
      const res = await c.req('GET', '/metrics');
      assert.equal(res.status, 200);
      const m = parse(res.body.toString());
      assert.ok(v2(m) >= v2(after), 'the main port counts every worker too');
      assert.equal(value(m, 'lazaret_workers', { state: 'scraped' }), 2);
    }
  });

  test('lazaret status with workers: the node\'s uptime, the worker that answered and how many there are', async () => {
    const [one, two] = byWorker as [Pinned, Pinned];
    const a = JSON.parse((await one.req('GET', '/api/v1/status')).body.toString());
    const b = JSON.parse((await two.req('GET', '/api/v1/status')).body.toString());
    assert.deepEqual([a.process.worker, a.process.workers, b.process.worker, b.process.workers], [1, 2, 2, 2]);
    assert.equal(a.startedAt, b.startedAt, 'one node, one start');
    // Worker 2 starts after worker 1, both after the primary.
    assert.ok(Date.parse(a.startedAt) <= Date.parse(a.process.startedAt) && Date.parse(a.process.startedAt) <= Date.parse(b.process.startedAt));
    const table = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'status'], { env: { PATH: process.env.PATH ?? '', HOME: dataDir, LAZARET_REGISTRY: server.url } });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c));
      child.stderr.on('data', (c: Buffer) => (out += c));
      child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(out))));
    });
    assert.match(table, /^answered by\s+worker [12] of 2 \(pid \d+, since \d{4}-/m);
    assert.match(table, new RegExp(`^uptime\\s+.*\\(since ${a.startedAt.replaceAll('.', '\\.')}\\)$`, 'm'));
  });

  test('a killed worker is replaced and the port keeps answering', async () => {
    const victim = await byWorker[1]!.worker();
    process.kill(victim.pid, 'SIGKILL');
    const deadline = Date.now() + 60_000;
    let replaced: { worker: number; pid: number } | undefined;
    while (!replaced && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      const c = pinned(server.url);
      clients.push(c);
      const w = await c.worker().catch(() => undefined);
      if (w?.worker === 2 && w.pid !== victim.pid) replaced = w;
    }
    assert.ok(replaced, `worker 2 came back:\n${server.output.slice(-10).join('\n')}`);
    assert.ok(server.output.some((l) => l.includes('worker 2 exited; starting a new one')));
  });

  test('SIGTERM stops every worker, then the primary exits 0', async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    const pids = new Set<number>();
    for (let i = 0; i < 4 && pids.size < 2; i++) {
      const c = pinned(server.url);
      pids.add((await c.worker()).pid);
      await c.close();
    }
    const exited = new Promise<number | null>((resolve) => server.process.once('exit', (code) => resolve(code)));
    server.process.kill('SIGTERM');
    assert.equal(await exited, 0);
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${pid} is gone`);
    assert.equal(server.output.filter((l) => l.includes('"msg":"stopped"')).length, 2, 'each worker shut down cleanly');
    await assert.rejects(fetch(`${server.url}/healthz`));
  });
});

test('--workers 2 on a busy port: the start ends with exit 1, nothing listens', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lazaret-workers-busy-'));
  const holder = (await import('node:net')).createServer().listen(0, '127.0.0.1');
  await new Promise((r) => holder.once('listening', r));
  const port = (holder.address() as { port: number }).port;
  try {
    const child = spawn(process.execPath, [BIN, 'serve', '--workers', '2'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LAZARET_DATA_DIR: dataDir, LAZARET_AUTH_MODE: 'none', LAZARET_SCANNER_BUILTIN: 'false', LAZARET_LISTEN: `127.0.0.1:${port}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c));
    child.stderr.on('data', (c: Buffer) => (output += c));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
    clearTimeout(killer);
    assert.equal(signal, null, output);
    assert.equal(code, 1, output);
    assert.match(output, /EADDRINUSE/);
    assert.doesNotMatch(output, /lazaret is listening|serves with/);
  } finally {
    holder.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
