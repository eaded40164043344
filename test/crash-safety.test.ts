/**
 * Crash safety: the real `lazaret serve` process is killed with SIGKILL in the middle of large
 * uploads (a chunked PATCH and a monolithic POST), restarted on the same data directory, and
 * must not serve any partial data; the uploads can then be redone (and the chunked session
 * resumed from where the server says it stands) and are served byte for byte.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRegistryClient, digestOf, type RegistryClient } from './helpers/registry-client.ts';
import { freePort } from './helpers/free-port.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const MiB = 1024 * 1024;
const dataDir = mkdtempSync(join(tmpdir(), 'lazaret-crash-'));
const children: ChildProcess[] = [];

after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});


async function startServer(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, [join(ROOT, 'bin/lazaret.js'), 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      LAZARET_LISTEN: `127.0.0.1:${port}`,
      LAZARET_DATA_DIR: dataDir,
      LAZARET_AUTH_MODE: 'none',
      LAZARET_LOG_LEVEL: 'warn',
      LAZARET_WORKERS: '1',
      LAZARET_DATABASE_URL: '',
      LAZARET_CONFIG: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.stdout!.on('data', (b) => (output += b));
  child.stderr!.on('data', (b) => (output += b));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(`${url}/v2/`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server did not start in 30 s:\n${output}`);
    await sleep(100);
  }
  return { child, url, output: () => output };
}

async function killHard(child: ChildProcess) {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** Streams `data` in 256 KiB pieces, pausing after `pauseAfter` bytes until `release` resolves. */
async function* slowBody(data: Buffer, pauseAfter: number, release: Promise<void>) {
  for (let i = 0; i < data.length; i += 256 * 1024) {
    if (i >= pauseAfter) await release;
    yield data.subarray(i, i + 256 * 1024);
  }
}

test('kill -9 during large uploads: nothing partial is served, and the uploads can be redone', { timeout: 120_000 }, async () => {
  const chunked = randomBytes(24 * MiB);
  const mono = randomBytes(16 * MiB);
  const chunkedDigest = digestOf(chunked);
  const monoDigest = digestOf(mono);

  let server = await startServer();
  let client: RegistryClient = createRegistryClient(server.url);
  const start = await client.req('POST', '/v2/crash/test/blobs/uploads/');
  assert.equal(start.status, 202);
  const location = start.headers.location as string;

  // Both uploads stall half-way (the server has received part of each) until the kill.
  let release!: () => void;
  const never = new Promise<void>((resolve) => (release = resolve));
  const abort = new AbortController();
  const inflight = [
    client.req('PATCH', location, { body: slowBody(chunked, 12 * MiB, never), headers: { 'content-type': 'application/octet-stream' }, signal: abort.signal }),
    client.req('POST', `/v2/crash/test/blobs/uploads/?digest=${monoDigest}`, { body: slowBody(mono, 8 * MiB, never), headers: { 'content-type': 'application/octet-stream' }, signal: abort.signal }),
  ].map((p) => p.then(() => 'completed', () => 'failed'));

  // Wait until the server has written a good part of the chunk to disk.
  const statusClient = createRegistryClient(server.url);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await statusClient.req('GET', location);
    const end = Number(String(status.headers.range ?? '0-0').split('-')[1]);
    if (end >= 4 * MiB) break;
    assert.ok(Date.now() < deadline, 'the server never received the first part of the chunk');
    await sleep(50);
  }
  await killHard(server.child);
  // The client side of the dead connections: stop sending.
  abort.abort();
  release();
  assert.deepEqual(await Promise.all(inflight), ['failed', 'failed'], 'the uploads cannot have completed');
  await statusClient.close();
  await client.close();

  server = await startServer();
  client = createRegistryClient(server.url);
  try {
    // Nothing partial is visible, by HEAD or GET, in the repository or the blob store.
    for (const digest of [chunkedDigest, monoDigest]) {
      assert.equal((await client.req('HEAD', `/v2/crash/test/blobs/${digest}`)).status, 404);
      assert.equal((await client.req('GET', `/v2/crash/test/blobs/${digest}`)).status, 404);
    }

    // The interrupted session says how far it got; resuming from there completes the blob.
    const status = await client.req('GET', location);
    assert.equal(status.status, 204, status.text());
    const received = Number(String(status.headers.range).split('-')[1]) + 1;
    assert.ok(received > 0 && received < chunked.length, `partial size ${received}`);
    const resumed = await client.req('PATCH', location, { body: chunked.subarray(received), headers: { 'content-range': `${received}-${chunked.length - 1}` } });
    assert.equal(resumed.status, 202, resumed.text());
    const done = await client.req('PUT', `${location}?digest=${chunkedDigest}`);
    assert.equal(done.status, 201, done.text());

    // The monolithic upload is simply redone.
    const redo = await client.req('POST', `/v2/crash/test/blobs/uploads/?digest=${monoDigest}`, { body: mono });
    assert.equal(redo.status, 201, redo.text());

    for (const [digest, data] of [[chunkedDigest, chunked], [monoDigest, mono]] as const) {
      const res = await client.req('GET', `/v2/crash/test/blobs/${digest}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.length, data.length);
      assert.ok(res.body.equals(data), `${digest} is served byte for byte`);
    }
  } finally {
    await client.close();
    const exited = new Promise((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGTERM');
    await exited;
  }
});
