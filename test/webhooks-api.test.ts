/**
 * /api/v1/webhooks: ACR's resource shape, validation errors in the registry's error format,
 * write-only fields (only getCallbackConfig returns serviceUri/customHeaders; the secret
 * never), update, delete (its deliveries stop), ping, paging, audit entries without secrets,
 * and the OpenAPI description.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { startReceiver, type Receiver, RECEIVER_CONFIG } from './helpers/webhook-receiver.ts';
import { call, pushImage } from './helpers/quarantine-fixtures.ts';

let server: TestServer;
let receiver: Receiver;
before(async () => {
  server = await startTestServer({ 'auth.mode': 'none', 'events.pollIntervalMs': 100, 'events.backoffBaseMs': 50, ...RECEIVER_CONFIG });
  receiver = await startReceiver();
});
after(async () => {
  await server.close();
  await receiver.close();
});

const api = (method: string, path: string, body?: unknown) => call(server.url, method, path, body === undefined ? {} : { body });
const SECRET = 'webhook-secret-0123456789';

test('create returns ACR resource shape without write-only fields; get, list and getCallbackConfig', async () => {
  const created = await api('PUT', '/api/v1/webhooks/apihook1', {
    location: 'westus',
    properties: { serviceUri: `http://user:pw@127.0.0.1:1/x?token=abc`, customHeaders: { Authorization: 'Bearer t' }, actions: ['push', 'delete'], scope: 'app:*', secret: SECRET },
  });
  assert.equal(created.status, 201, created.text);
  assert.deepEqual(Object.keys(created.body), ['id', 'name', 'type', 'properties']);
  assert.equal(created.body.name, 'apihook1');
  assert.equal(created.body.type, 'Microsoft.ContainerRegistry/registries/webhooks');
  const p = created.body.properties;
  assert.equal(p.status, 'enabled', 'enabled by default');
  assert.equal(p.scope, 'app:*');
  assert.deepEqual(p.actions, ['push', 'delete']);
  assert.equal(p.provisioningState, 'Succeeded');
  assert.equal(p.hasSecret, true);
  assert.deepEqual(p.deliveries, { pending: 0, delivered: 0, failed: 0 });
  assert.match(p.createdTime, /\.\d{7}Z$/);
  for (const res of [created, await api('GET', '/api/v1/webhooks/apihook1'), await api('GET', '/api/v1/webhooks')]) {
    assert.doesNotMatch(res.text, /serviceUri|customHeaders|Bearer t|token=abc|webhook-secret/);
  }
  const cb = await api('POST', '/api/v1/webhooks/apihook1/getCallbackConfig');
  assert.equal(cb.status, 200);
  assert.deepEqual(cb.body, { serviceUri: 'http://user:pw@127.0.0.1:1/x?token=abc', customHeaders: { Authorization: 'Bearer t' } });
  assert.doesNotMatch(cb.text, /webhook-secret/, 'the secret never leaves');

  // PUT again replaces (ARM semantics): 200.
  const replaced = await api('PUT', '/api/v1/webhooks/apihook1', { properties: { serviceUri: receiver.url, actions: ['push'], status: 'disabled' } });
  assert.equal(replaced.status, 200);
  assert.equal(replaced.body.properties.hasSecret, false);
  assert.equal(replaced.body.properties.createdTime, p.createdTime);
});

test('bad input is refused with BAD_REQUEST naming the field; unknown webhooks are NOT_FOUND', async () => {
  const cases: [string, unknown, RegExp][] = [
    ['/api/v1/webhooks/abc', { properties: { serviceUri: 'http://127.0.0.1:1', actions: ['push'] } }, /name|params/],
    ['/api/v1/webhooks/bad-name1', { properties: { serviceUri: 'http://127.0.0.1:1', actions: ['push'] } }, /name|params/],
    ['/api/v1/webhooks/okname1', { properties: { serviceUri: 'ftp://127.0.0.1/x', actions: ['push'] } }, /serviceUri/],
    ['/api/v1/webhooks/okname1', { properties: { serviceUri: 'not a url', actions: ['push'] } }, /serviceUri/],
    ['/api/v1/webhooks/okname1', { properties: { serviceUri: 'http://127.0.0.1:1', actions: [] } }, /actions/],
    ['/api/v1/webhooks/okname1', { properties: { serviceUri: 'http://127.0.0.1:1', actions: ['pull'] } }, /actions/],
    ['/api/v1/webhooks/okname1', { properties: { serviceUri: 'http://127.0.0.1:1', actions: ['push'], scope: 'Bad Scope' } }, /scope/],
    ['/api/v1/webhooks/okname1', { properties: { serviceUri: 'http://127.0.0.1:1', actions: ['push'], customHeaders: { 'X-Lazaret-Signature': 'x' } } }, /customHeaders/],
    ['/api/v1/webhooks/okname1', { properties: { serviceUri: 'http://127.0.0.1:1', actions: ['push'], customHeaders: { 'Bad Header': 'x' } } }, /customHeaders/],
    ['/api/v1/webhooks/okname1', { properties: { serviceUri: 'http://127.0.0.1:1', actions: ['push'], secret: 'short' } }, /secret/],
    ['/api/v1/webhooks/okname1', { properties: { actions: ['push'] } }, /serviceUri/],
  ];
  for (const [path, body, field] of cases) {
    const res = await api('PUT', path, body);
    assert.equal(res.status, 400, `${path} ${JSON.stringify(body)}: ${res.text}`);
    assert.equal(res.body.errors[0].code, 'BAD_REQUEST');
    assert.match(res.body.errors[0].message, field, res.body.errors[0].message);
  }
  assert.equal((await api('GET', '/api/v1/webhooks/okname1')).status, 404, 'nothing was created');
  for (const [method, path] of [['GET', '/api/v1/webhooks/nosuch1'], ['PATCH', '/api/v1/webhooks/nosuch1'], ['DELETE', '/api/v1/webhooks/nosuch1'], ['POST', '/api/v1/webhooks/nosuch1/ping'], ['GET', '/api/v1/webhooks/nosuch1/events']] as const) {
    const res = await api(method, path, method === 'PATCH' ? { properties: { status: 'enabled' } } : undefined);
    assert.equal(res.status, 404, `${method} ${path}`);
    assert.deepEqual(Object.keys(res.body.errors[0]), ['code', 'message', 'detail']);
    assert.equal(res.body.errors[0].code, 'NOT_FOUND');
  }
});

test('PATCH updates; ping is delivered with the returned id even when disabled; DELETE stops deliveries', async () => {
  await api('PUT', '/api/v1/webhooks/patchme1', { properties: { serviceUri: receiver.url, actions: ['quarantine'], scope: 'patched/app:*', status: 'disabled' } });
  const patched = await api('PATCH', '/api/v1/webhooks/patchme1', { properties: { scope: 'patched/*:*', secret: SECRET } });
  assert.equal(patched.status, 200, patched.text);
  assert.equal(patched.body.properties.scope, 'patched/*:*');
  assert.equal(patched.body.properties.status, 'disabled', 'unchanged fields stay');
  assert.equal(patched.body.properties.hasSecret, true);

  const ping = await api('POST', '/api/v1/webhooks/patchme1/ping');
  assert.equal(ping.status, 200);
  assert.match(ping.body.id, /^[0-9a-f-]{36}$/);
  await receiver.waitFor((rs) => rs.some((r) => r.json?.id === ping.body.id));
  const pinged = receiver.received.find((r) => r.json?.id === ping.body.id)!;
  assert.deepEqual(Object.keys(pinged.json), ['id', 'timestamp', 'action']);
  assert.equal(pinged.json.action, 'ping');
  assert.ok(pinged.headers['x-lazaret-signature']);

  // Disabled: pushes queue nothing for it.
  const before = receiver.received.length;
  await pushImage(server.url, 'patched/app', { seed: 'patched-disabled', tag: 'v1' });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(receiver.received.length, before);
  // Enabled: they do.
  assert.equal((await api('PATCH', '/api/v1/webhooks/patchme1', { properties: { status: 'enabled', secret: null } })).body.properties.hasSecret, false);
  await pushImage(server.url, 'patched/app', { seed: 'patched-enabled', tag: 'v2' });
  await receiver.waitFor((rs) => rs.length > before);
  assert.equal(receiver.received.at(-1)!.json.target.tag, 'v2');

  const events = await api('GET', '/api/v1/webhooks/patchme1/events?n=1');
  assert.equal(events.body.value.length, 1);
  assert.ok(events.body.nextLink, 'paged: ping and the push');
  const page2 = await api('GET', events.body.nextLink);
  assert.equal(page2.body.value.length, 1);
  assert.equal(page2.body.value[0].id, ping.body.id);
  const one = await api('GET', `/api/v1/webhooks/patchme1/events/${ping.body.id}`);
  assert.equal(one.body.status, 'delivered');

  assert.equal((await api('DELETE', '/api/v1/webhooks/patchme1')).status, 204);
  assert.equal((await api('GET', '/api/v1/webhooks/patchme1')).status, 404);
  const after = receiver.received.length;
  await pushImage(server.url, 'patched/app', { seed: 'patched-deleted', tag: 'v3' });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(receiver.received.length, after);
});

test('webhook changes are audited without write-only values', async () => {
  await api('PUT', '/api/v1/webhooks/audited1', { properties: { serviceUri: 'http://127.0.0.1:1/secret-path', customHeaders: { 'X-Key': 'hidden-value' }, actions: ['push'], secret: SECRET } });
  await api('PATCH', '/api/v1/webhooks/audited1', { properties: { status: 'disabled' } });
  await api('DELETE', '/api/v1/webhooks/audited1');
  const audit = await api('GET', '/api/v1/audit?target=webhook:audited1');
  assert.equal(audit.status, 200, audit.text);
  const entries = audit.body.entries as any[];
  assert.deepEqual(entries.map((e) => e.action).sort(), ['webhook.create', 'webhook.delete', 'webhook.update']);
  assert.doesNotMatch(audit.text, /secret-path|hidden-value|webhook-secret/);
  const create = entries.find((e) => e.action === 'webhook.create');
  assert.deepEqual(create.after.customHeaderNames, ['X-Key']);
  assert.equal(create.after.hasSecret, true);
});

test('ARM-style POSTs with a JSON content type and no body work; broken JSON is BAD_REQUEST', async () => {
  await api('PUT', '/api/v1/webhooks/emptybody1', { properties: { serviceUri: receiver.url, actions: ['push'] } });
  for (const op of ['ping', 'getCallbackConfig', 'listEvents']) {
    const res = await call(server.url, 'POST', `/api/v1/webhooks/emptybody1/${op}`, { headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 200, `${op}: ${res.text}`);
  }
  const broken = await call(server.url, 'PUT', '/api/v1/webhooks/emptybody1', { headers: { 'content-type': 'application/json' }, body: '{"properties":' });
  assert.equal(broken.status, 400);
  assert.equal(broken.body.errors[0].code, 'BAD_REQUEST');
  const none = await call(server.url, 'PUT', '/api/v1/webhooks/emptybody1', { headers: { 'content-type': 'application/json' } });
  assert.equal(none.status, 400, 'a PUT needs a body');
  const huge = await api('PUT', '/api/v1/webhooks/emptybody1', { properties: { serviceUri: receiver.url, actions: ['push'], scope: 'x'.repeat(300 * 1024) } });
  assert.equal(huge.status, 413);
  await api('DELETE', '/api/v1/webhooks/emptybody1');
});

test('the OpenAPI document describes the webhook operations', async () => {
  const doc = await api('GET', '/api/v1/openapi.json');
  for (const path of ['/api/v1/webhooks/{name}', '/api/v1/webhooks/{name}/ping', '/api/v1/webhooks/{name}/listEvents', '/api/v1/webhooks/{name}/events/{id}/redeliver', '/api/v1/webhooks/{name}/getCallbackConfig']) {
    assert.ok(doc.body.paths[path], path);
  }
});

test('with baseUrl set, events name the public host as request.host (not the Host header)', async () => {
  const behindProxy = await startTestServer({ 'auth.mode': 'none', baseUrl: 'https://registry.example.com', 'events.pollIntervalMs': 100, ...RECEIVER_CONFIG });
  const r = await startReceiver();
  try {
    const res = await call(behindProxy.url, 'PUT', '/api/v1/webhooks/publichost1', { body: { properties: { serviceUri: r.url, actions: ['quarantine', 'push'] } } });
    assert.equal(res.status, 201, res.text);
    await pushImage(behindProxy.url, 'public/app', { seed: 'public-host', tag: 'v1' });
    await r.waitFor((rs) => rs.length >= 2);
    assert.deepEqual(r.received.map((x) => x.json.request.host), ['registry.example.com', 'registry.example.com']);
  } finally {
    await behindProxy.close();
    await r.close();
  }
});
