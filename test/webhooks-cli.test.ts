/**
 * `lazaret webhook ...` against a running registry (the real bin, through /api/v1).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { startReceiver, type Receiver, RECEIVER_CONFIG } from './helpers/webhook-receiver.ts';

const BIN = fileURLToPath(new URL('../bin/lazaret.js', import.meta.url));
let server: TestServer;
let receiver: Receiver;

before(async () => {
  server = await startTestServer({ 'auth.mode': 'none', 'events.pollIntervalMs': 100, ...RECEIVER_CONFIG });
  receiver = await startReceiver();
});
after(async () => {
  await server.close();
  await receiver.close();
});

/** Runs the CLI without blocking this process (the server lives here). */
function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args, '--registry', server.url], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('create, list, show, config, update, ping, events, redeliver, delete', async () => {
  const created = await cli('webhook', 'create', 'clihook1', '--uri', `${receiver.url}/ci`, '--actions', 'push,quarantine', '--scope', 'cli/app:*', '--header', 'Authorization=Bearer abc', '--header', 'X-Team=a=b', '--secret', 'cli-secret-0123456789');
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /webhook clihook1 created/);

  // Independent reads run side by side (each CLI run starts a Node process).
  const [list, show, config] = await Promise.all([cli('webhook', 'list', '-o', 'json'), cli('webhook', 'show', 'clihook1'), cli('webhook', 'config', 'clihook1', '-o', 'json')]);
  assert.equal(list.code, 0, list.stderr);
  const [hook] = JSON.parse(list.stdout);
  assert.equal(hook.name, 'clihook1');
  assert.deepEqual(hook.properties.actions, ['push', 'quarantine']);
  assert.equal(hook.properties.hasSecret, true);

  assert.match(show.stdout, /clihook1\s+enabled\s+push,quarantine\s+cli\/app:\*\s+yes/);

  assert.deepEqual(JSON.parse(config.stdout), { serviceUri: `${receiver.url}/ci`, customHeaders: { Authorization: 'Bearer abc', 'X-Team': 'a=b' } });

  const ping = await cli('webhook', 'ping', 'clihook1', '-o', 'json');
  const { id } = JSON.parse(ping.stdout);
  await receiver.waitFor((rs) => rs.some((r) => r.json?.id === id));
  assert.equal(receiver.received[0]!.headers.authorization, 'Bearer abc');

  const events = await cli('webhook', 'events', 'clihook1', '-o', 'json');
  const log = JSON.parse(events.stdout);
  assert.equal(log.value[0].id, id);

  const redo = await cli('webhook', 'redeliver', 'clihook1', id);
  assert.equal(redo.code, 0, redo.stderr);
  await receiver.waitFor((rs) => rs.filter((r) => r.json?.id === id).length === 2);

  const update = await cli('webhook', 'update', 'clihook1', '--status', 'disabled', '--remove-secret', '-o', 'json');
  assert.equal(update.code, 0, update.stderr);
  assert.equal(JSON.parse(update.stdout).properties.status, 'disabled');
  assert.equal(JSON.parse(update.stdout).properties.hasSecret, false);

  const [bad, events2] = await Promise.all([cli('webhook', 'create', 'clihook2', '--uri', 'ftp://x', '--actions', 'push'), cli('webhook', 'events', 'clihook1')]);
  assert.match(events2.stdout, new RegExp(`${id}\\s+ping\\s+delivered\\s+2\\s+200`), "table: the ping, delivered twice (the redelivery), last answer 200");
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /400 BAD_REQUEST: properties\.serviceUri must use http or https/);

  const del = await cli('webhook', 'delete', 'clihook1');
  assert.equal(del.code, 0, del.stderr);
  const gone = await cli('webhook', 'show', 'clihook1');
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /404 NOT_FOUND/);
});
