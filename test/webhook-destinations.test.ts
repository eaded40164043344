/**
 * Where webhooks may deliver: by default never to loopback, link-local (cloud metadata),
 * unspecified or the registry's own addresses; private ranges are fine; the config's
 * allowDestinations / denyDestinations CIDR lists adjust it. Checked when a webhook is created
 * or updated, and at delivery on the address actually connected to (a name that resolves to
 * loopback is refused then too). A Contributor used to point a webhook at the registry's own
 * loopback /api/v1 and read the answer in the delivery log.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDestinationPolicy, parseCidr } from '../src/events/webhook-destinations.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { call } from './helpers/quarantine-fixtures.ts';
import { RECEIVER_CONFIG, startReceiver, type Receiver } from './helpers/webhook-receiver.ts';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

test('the policy: defaults, own addresses, IPv4-mapped addresses, allow and deny lists', () => {
  const policy = createDestinationPolicy({ ownAddresses: ['10.1.2.3'] });
  for (const refused of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1', '169.254.169.254', 'fe80::1', 'fd00:ec2::254', '0.0.0.0', '::', '224.0.0.1', '10.1.2.3', '[::1]']) {
    assert.ok(policy.refusal(refused), `${refused} is refused`);
  }
  for (const allowed of ['10.0.0.5', '192.168.1.1', '172.16.0.9', 'fd12::1', '8.8.8.8', '2001:db8::1']) assert.equal(policy.refusal(allowed), undefined, `${allowed} is allowed`);
  assert.match(policy.refusal('169.254.169.254')!, /link-local/);
  assert.match(policy.refusal('10.1.2.3')!, /own machine/);

  const adjusted = createDestinationPolicy({ allow: ['127.0.0.0/8'], deny: ['10.0.0.0/8', '127.0.0.2'], ownAddresses: [] });
  assert.equal(adjusted.refusal('127.0.0.1'), undefined, 'allowDestinations lets loopback through');
  assert.match(adjusted.refusal('127.0.0.2')!, /denyDestinations/, 'deny wins over allow');
  assert.match(adjusted.refusal('10.9.9.9')!, /denyDestinations/);
  assert.ok(adjusted.refusal('::1'), 'IPv6 loopback was not allowed');

  assert.deepEqual(parseCidr('10.0.0.0/8'), { address: '10.0.0.0', prefix: 8, family: 'ipv4' });
  assert.deepEqual(parseCidr('::1'), { address: '::1', prefix: 128, family: 'ipv6' });
  for (const bad of ['10.0.0.0/33', 'nonsense', '10.0.0/8', '::/129', '1.2.3.4/8/1', '']) assert.equal(parseCidr(bad), undefined, bad);
});

describe('webhook destinations over HTTP (default policy)', () => {
  let server: TestServer;
  let receiver: Receiver;
  before(async () => {
    server = await startTestServer({ 'auth.mode': 'none', 'events.pollIntervalMs': 50, 'events.backoffBaseMs': 20, 'events.backoffMaxMs': 50, 'events.maxAttempts': 2 });
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
    await server.close();
  });

  const put = (name: string, serviceUri: string) => call(server.url, 'PUT', `/api/v1/webhooks/${name}`, { body: { properties: { serviceUri, actions: ['push'] } } });

  test('create and update refuse loopback, link-local, names resolving to loopback; private addresses are accepted', async () => {
    for (const uri of [`${server.url}/api/v1/users`, 'http://169.254.169.254/latest/meta-data/', 'http://localhost:9/hook', 'http://[::1]:9/hook', 'http://[::ffff:127.0.0.1]:9/', 'http://0.0.0.0:9/']) {
      const r = await put('ssrf1', uri);
      assert.equal(r.status, 400, uri);
      assert.equal(r.body.errors[0].code, 'BAD_REQUEST');
      assert.match(r.body.errors[0].message, /webhooks may not deliver there/);
    }
    assert.equal((await call(server.url, 'GET', '/api/v1/webhooks/ssrf1')).status, 404, 'nothing was created');
    assert.equal((await put('private1', 'http://10.20.30.40:8080/hook')).status, 201, 'private ranges are allowed');
    const patched = await call(server.url, 'PATCH', '/api/v1/webhooks/private1', { body: { properties: { serviceUri: 'http://127.0.0.1:9/' } } });
    assert.equal(patched.status, 400, 'an update is checked too');
    await call(server.url, 'DELETE', '/api/v1/webhooks/private1');
  });

  test('at delivery: a stored destination that resolves to loopback is refused on connect, and the receiver gets nothing', async () => {
    // As if created before the rule, or as if its name now resolves elsewhere (DNS rebinding).
    const port = new URL(receiver.url).port;
    await server.services.store.webhooks.put({ name: 'rebound1', serviceUri: `http://localhost:${port}/hook`, customHeaders: {}, status: 'enabled', scope: '', actions: ['push'] });
    const ping = await call(server.url, 'POST', '/api/v1/webhooks/rebound1/ping');
    assert.equal(ping.status, 200, JSON.stringify(ping.body));
    let attempts: any[] = [];
    for (let i = 0; i < 100 && attempts.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const log = await call(server.url, 'GET', '/api/v1/webhooks/rebound1/events?n=5');
      attempts = log.body.value.flatMap((e: any) => e.attemptLog ?? []);
    }
    assert.ok(attempts.length >= 1, 'an attempt was logged');
    assert.match(attempts[0].error, /destination refused: localhost resolves to (127\.0\.0\.1|::1)/);
    assert.equal(receiver.received.length, 0);
  });
});

test('the delivery log keeps at most a few KiB of a response body', async () => {
  const big = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(1024 * 1024)));
  });
  await new Promise<void>((r) => big.listen(0, '127.0.0.1', r));
  const server = await startTestServer({ 'auth.mode': 'none', 'events.pollIntervalMs': 50, ...RECEIVER_CONFIG });
  try {
    const port = (big.address() as AddressInfo).port;
    assert.equal((await call(server.url, 'PUT', '/api/v1/webhooks/bigbody1', { body: { properties: { serviceUri: `http://127.0.0.1:${port}/`, actions: ['push'] } } })).status, 201);
    assert.equal((await call(server.url, 'POST', '/api/v1/webhooks/bigbody1/ping')).status, 200);
    let attempt: any;
    for (let i = 0; i < 100 && !attempt; i++) {
      await new Promise((r) => setTimeout(r, 100));
      attempt = (await call(server.url, 'GET', '/api/v1/webhooks/bigbody1/events?n=1')).body.value[0]?.attemptLog?.[0];
    }
    assert.equal(String(attempt.eventResponseMessage?.statusCode ?? attempt.responseStatus), '200', JSON.stringify(attempt).slice(0, 300));
    const kept = JSON.stringify(attempt).length;
    assert.ok(kept < 8 * 1024, `the logged attempt is ${kept} bytes`);
    assert.match(JSON.stringify(attempt), /xxxx/, 'the start of the body is kept');
  } finally {
    await server.close();
    big.close();
  }
});
