/**
 * Events and webhooks with real identities (token mode): only Owner/Contributor manage
 * webhooks, and the seed's flow over HTTP: a held push raises `quarantine` only; the scanner's
 * PATCH to Passed (a quarantine writer's pull,push token) raises the deferred `push`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from './helpers/server.ts';
import { adminAuth, basicAuth, bearer, createUser, startTokenServer } from './helpers/identities.ts';
import { startReceiver, type Receiver, RECEIVER_CONFIG } from './helpers/webhook-receiver.ts';
import { call, pushImage } from './helpers/quarantine-fixtures.ts';

let server: TestServer;
let receiver: Receiver;
before(async () => {
  server = await startTokenServer({ 'events.pollIntervalMs': 100, 'events.backoffBaseMs': 50, ...RECEIVER_CONFIG });
  receiver = await startReceiver();
  await createUser(server, 'pusher', 'pusher-password', [{ role: 'AcrPush' }]);
  await createUser(server, 'reader', 'reader-password', [{ role: 'Reader' }]);
  await createUser(server, 'contrib', 'contrib-password', [{ role: 'Contributor' }]);
  await createUser(server, 'scanner', 'scanner-password', [{ role: 'AcrQuarantineWriter' }]);
});
after(async () => {
  await server.close();
  await receiver.close();
});

test('only Owner and Contributor manage webhooks', async () => {
  const body = { properties: { serviceUri: receiver.url, actions: ['push', 'quarantine'], scope: 'seed/*:*' } };
  const anonymous = await call(server.url, 'GET', '/api/v1/webhooks');
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.body.errors[0].code, 'UNAUTHORIZED');
  for (const [user, password] of [['pusher', 'pusher-password'], ['reader', 'reader-password'], ['scanner', 'scanner-password']]) {
    const auth = { authorization: basicAuth(user!, password!) };
    for (const [method, path] of [['GET', '/api/v1/webhooks'], ['PUT', '/api/v1/webhooks/seedhook1'], ['POST', '/api/v1/webhooks/seedhook1/getCallbackConfig']] as const) {
      const res = await call(server.url, method, path, { headers: auth, ...(method === 'PUT' ? { body } : {}) });
      assert.equal(res.status, 403, `${user} ${method} ${path}: ${res.text}`);
      assert.equal(res.body.errors[0].code, 'DENIED');
    }
  }
  const byContributor = await call(server.url, 'PUT', '/api/v1/webhooks/seedhook1', { headers: { authorization: basicAuth('contrib', 'contrib-password') }, body });
  assert.equal(byContributor.status, 201, byContributor.text);
  const read = await call(server.url, 'GET', '/api/v1/webhooks/seedhook1', { headers: { authorization: adminAuth() } });
  assert.equal(read.status, 200);
});

test('the seed flow over HTTP: quarantine at push, push when the scanner marks it Passed', async () => {
  const admin = { authorization: adminAuth() };
  assert.equal((await call(server.url, 'PATCH', '/api/v1/policies', { headers: admin, body: { quarantinePolicy: { status: 'enabled' } } })).status, 200);
  const image = await pushImage(server.url, 'seed/helloworld', { seed: 'token-mode', tag: '1', headers: { authorization: basicAuth('pusher', 'pusher-password'), 'user-agent': 'pusher-agent' } });
  await receiver.waitFor((rs) => rs.length >= 1);
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(receiver.received.map((r) => r.json.action), ['quarantine']);
  const q = receiver.received[0]!.json;
  assert.deepEqual(q.target, { size: image.size, digest: image.digest, length: image.size, repository: 'seed/helloworld', tag: '1' });
  assert.equal(q.request.method, 'PUT');

  const token = await bearer(server, 'scanner', 'scanner-password', 'repository:seed/helloworld:pull,push');
  const patch = await call(server.url, 'PATCH', `/acr/v1/seed/helloworld/_manifests/${image.digest}`, {
    headers: { authorization: token },
    body: { quarantineState: 'Passed', quarantineDetails: JSON.stringify({ state: 'scan passed', link: 'http://test.io/test' }) },
  });
  assert.equal(patch.status, 200, patch.text);
  await receiver.waitFor((rs) => rs.length >= 2);
  const p = receiver.received[1]!.json;
  assert.equal(p.action, 'push');
  assert.deepEqual(p.target, { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: image.size, digest: image.digest, length: image.size, repository: 'seed/helloworld', tag: '1' });
  assert.deepEqual({ method: p.request.method, useragent: p.request.useragent, id: p.request.id }, { method: 'PUT', useragent: 'pusher-agent', id: q.request.id }, 'the released push names the original push request');
});
