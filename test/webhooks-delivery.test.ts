/**
 * Webhook delivery against real receivers (HTTP servers on 127.0.0.1 started by the tests):
 * retries keep the event id, a receiver that never answers does not stall other webhooks nor
 * pushes, signatures verify with the documented algorithm, custom headers are sent and masked
 * in the log, failed deliveries are dead-lettered and can be redelivered.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { startReceiver, type Receiver, RECEIVER_CONFIG } from './helpers/webhook-receiver.ts';
import { call, pushImage } from './helpers/quarantine-fixtures.ts';

const FAST = {
  ...RECEIVER_CONFIG,
  'auth.mode': 'none',
  'events.backoffBaseMs': 40,
  'events.backoffMaxMs': 200,
  'events.pollIntervalMs': 100,
  'events.attemptTimeoutMs': 3000,
  'events.maxAttempts': 4,
  'events.concurrency': 4,
  'events.perWebhookConcurrency': 2,
};

let server: TestServer;
const receivers: Receiver[] = [];
before(async () => {
  server = await startTestServer(FAST);
});
after(async () => {
  await server.close();
  for (const r of receivers) await r.close();
});

async function receiver(answer?: Parameters<typeof startReceiver>[0]) {
  const r = await startReceiver(answer);
  receivers.push(r);
  return r;
}

async function createWebhook(name: string, properties: Record<string, unknown>) {
  const res = await call(server.url, 'PUT', `/api/v1/webhooks/${name}`, { body: { location: 'here', properties } });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

test('a receiver that fails the first attempts gets the event later, with the same id', async () => {
  const r = await receiver((req) => (req.n <= 2 ? 500 : 200));
  await createWebhook('retries1', { serviceUri: `${r.url}/hook`, actions: ['push'], scope: 'retry/app:*' });
  const image = await pushImage(server.url, 'retry/app', { seed: 'retries', tag: 'v1' });
  await r.waitFor((all) => all.length >= 3, 10_000);
  const [first, second, third] = r.received;
  assert.equal(first!.method, 'POST');
  assert.equal(first!.path, '/hook');
  assert.equal(first!.json.action, 'push');
  assert.equal(first!.json.target.digest, image.digest);
  for (const attempt of [second!, third!]) {
    assert.equal(attempt.json.id, first!.json.id, 'same event id on every attempt');
    assert.equal(attempt.body, first!.body, 'byte-identical body on every attempt');
    assert.equal(attempt.headers['x-lazaret-event-id'], first!.json.id);
  }
  // Delivered: nothing more arrives, and the log shows every attempt.
  await new Promise((res) => setTimeout(res, 400));
  assert.equal(r.received.length, 3);
  const log = await call(server.url, 'GET', '/api/v1/webhooks/retries1/events');
  assert.equal(log.status, 200);
  const [event] = log.body.value;
  assert.equal(event.id, first!.json.id);
  assert.equal(event.status, 'delivered');
  assert.equal(event.attempts, 3);
  assert.deepEqual(event.attemptLog.map((a: any) => a.eventResponseMessage.statusCode), ['500', '500', '200']);
  assert.deepEqual(event.eventRequestMessage.content, first!.json);
  assert.equal(event.eventResponseMessage.statusCode, '200');
  assert.equal(typeof event.duration, 'number');
  const hook = await call(server.url, 'GET', '/api/v1/webhooks/retries1');
  assert.deepEqual(hook.body.properties.deliveries, { pending: 0, delivered: 1, failed: 0 });
});

test('a receiver that never answers does not stall another webhook, nor pushes', async () => {
  const dead = await receiver(() => 'hang');
  const alive = await receiver(() => 204);
  await createWebhook('deadhook1', { serviceUri: dead.url, actions: ['push'], scope: 'stall/*:*' });
  await createWebhook('livehook1', { serviceUri: alive.url, actions: ['push'], scope: 'stall/*:*' });
  const pushTimes: number[] = [];
  for (let i = 0; i < 4; i++) {
    const t = Date.now();
    await pushImage(server.url, `stall/app${i}`, { seed: `stall${i}`, tag: 'v1' });
    pushTimes.push(Date.now() - t);
  }
  await alive.waitFor((all) => all.length >= 4, 10_000, 'four deliveries to the live webhook while the dead one hangs');
  // Each live delivery arrived well within one attempt timeout (3 s) of its event: had the dead
  // receiver's hanging attempts been in the way, it would have waited for them to time out.
  const latencies = alive.received.map((r) => performance.timeOrigin + r.arrivedAt - Date.parse(r.json.timestamp));
  for (const l of latencies) assert.ok(l < 2500, `live delivery latencies ${latencies.map(Math.round).join(', ')} ms`);
  for (const t of pushTimes) assert.ok(t < 2500, `push times ${pushTimes.join(', ')} ms`);
  assert.ok(dead.received.length >= 1, 'the dead receiver was tried');
  // The dead receiver's attempts time out and are logged as such, then retried.
  const deadline = Date.now() + 8000;
  let timedOut: any[] = [];
  while (timedOut.length === 0 && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 200));
    const log = await call(server.url, 'GET', '/api/v1/webhooks/deadhook1/events?n=10');
    timedOut = log.body.value.flatMap((e: any) => e.attemptLog).filter((a: any) => /timed out after 3000 ms/.test(a.error ?? ''));
  }
  assert.ok(timedOut.length >= 1, 'a timed-out attempt is in the log');
  await call(server.url, 'DELETE', '/api/v1/webhooks/deadhook1');
});

/** The receiver side of docs/webhooks.md "Verifying signatures", written from the docs. */
function verify(secret: string, headers: Record<string, unknown>, rawBody: string): boolean {
  const timestamp = String(headers['x-lazaret-timestamp']);
  const signature = String(headers['x-lazaret-signature']);
  const expected = 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
  const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) <= 300;
  return fresh && expected.length === signature.length && timingSafeEqual(Buffer.from(expected), Buffer.from(signature));
}

test('signed deliveries verify with the documented algorithm; a tampered body does not', async () => {
  const secret = 'a-long-shared-secret-0123456789';
  const r = await receiver();
  await createWebhook('signed1', { serviceUri: r.url, actions: ['quarantine'], scope: 'signed/app:v1', secret });
  await pushImage(server.url, 'signed/app', { seed: 'signed', tag: 'v1' });
  const [got] = await r.waitFor((all) => all.length >= 1);
  assert.match(String(got!.headers['x-lazaret-signature']), /^sha256=[0-9a-f]{64}$/);
  assert.match(String(got!.headers['x-lazaret-timestamp']), /^\d{10}$/);
  assert.equal(verify(secret, got!.headers, got!.body), true);
  assert.equal(verify(secret, got!.headers, got!.body.replace('signed/app', 'signed/apq')), false, 'tampered body');
  assert.equal(verify('another-secret-of-some-length', got!.headers, got!.body), false, 'wrong secret');
  // An unsigned webhook sends no signature headers.
  const plain = await receiver();
  await createWebhook('unsigned1', { serviceUri: plain.url, actions: ['quarantine'], scope: 'signed/app:v2' });
  await pushImage(server.url, 'signed/app', { seed: 'unsigned', tag: 'v2' });
  const [p] = await plain.waitFor((all) => all.length >= 1);
  assert.equal(p!.headers['x-lazaret-signature'], undefined);
  assert.equal(p!.headers['x-lazaret-timestamp'], undefined);
});

test('custom headers are sent (a custom Content-Type wins) and masked in the log', async () => {
  const r = await receiver();
  await createWebhook('headers1', {
    serviceUri: r.url,
    actions: ['push'],
    scope: 'headers/app',
    customHeaders: { Authorization: 'Bearer very-secret', 'Content-Type': 'application/cloudevents+json' },
  });
  await pushImage(server.url, 'headers/app', { seed: 'headers', tag: 'latest' });
  const [got] = await r.waitFor((all) => all.length >= 1);
  assert.equal(got!.headers.authorization, 'Bearer very-secret');
  assert.equal(got!.headers['content-type'], 'application/cloudevents+json');
  await new Promise((res) => setTimeout(res, 100));
  const log = await call(server.url, 'POST', '/api/v1/webhooks/headers1/listEvents');
  const headers = log.body.value[0].eventRequestMessage.headers;
  assert.equal(headers.Authorization, '******');
  assert.equal(headers['Content-Type'], 'application/cloudevents+json');
  assert.doesNotMatch(JSON.stringify(log.body), /very-secret/);
});

test('after the retry budget a delivery is failed (dead letter) and redelivery sends it again with the same id', async () => {
  let healthy = false;
  const r = await receiver(() => (healthy ? 200 : 503));
  await createWebhook('deadletter1', { serviceUri: r.url, actions: ['delete'] });
  const image = await pushImage(server.url, 'dead/app', { seed: 'dead', tag: 'v1' });
  const del = await call(server.url, 'DELETE', `/v2/dead/app/manifests/${image.digest}`);
  assert.equal(del.status, 202, del.text);
  await r.waitFor((all) => all.length >= 4);
  let event: any;
  for (let i = 0; i < 200; i++) {
    event = (await call(server.url, 'GET', '/api/v1/webhooks/deadletter1/events')).body.value[0];
    if (event?.status === 'failed') break;
    await new Promise((res) => setTimeout(res, 50));
  }
  assert.equal(event.status, 'failed');
  assert.equal(event.attempts, 4);
  assert.deepEqual((await call(server.url, 'GET', '/api/v1/webhooks/deadletter1')).body.properties.deliveries, { pending: 0, delivered: 0, failed: 1 });
  await new Promise((res) => setTimeout(res, 300));
  assert.equal(r.received.length, 4, 'no attempts after the budget');

  healthy = true;
  const redo = await call(server.url, 'POST', `/api/v1/webhooks/deadletter1/events/${event.id}/redeliver`);
  assert.equal(redo.status, 202);
  const all = await r.waitFor((rs) => rs.length >= 5);
  assert.equal(all[4]!.json.id, event.id);
  assert.equal(all[4]!.json.action, 'delete');
  const missing = await call(server.url, 'POST', '/api/v1/webhooks/deadletter1/events/nope/redeliver');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.errors[0].code, 'NOT_FOUND');
});
