/**
 * Event payloads in ACR's exact shapes (ACR's API reference 4.3, the seed's quarantine example),
 * raised by real pushes and deletes through /v2 and /acr/v1, received by a real receiver:
 * policy off (quarantine + push per push), policy on (quarantine only; push when Passed, one
 * per tag pushed while held; none for Failed; immediately for an already Passed digest), and
 * ACR's scope filtering.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { startReceiver, type Receiver, type Received, RECEIVER_CONFIG } from './helpers/webhook-receiver.ts';
import { call, sha256, uploadBlob } from './helpers/quarantine-fixtures.ts';
import { changeVerdict } from '../src/quarantine/verdict-change.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ACR_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/;
const UA = 'payload-test/1.0';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

let server: TestServer;
let host: string;
const receivers: Receiver[] = [];
before(async () => {
  server = await startTestServer({ 'auth.mode': 'none', 'events.pollIntervalMs': 100, 'events.backoffBaseMs': 50, ...RECEIVER_CONFIG });
  host = new URL(server.url).host;
});
after(async () => {
  await server.close();
  for (const r of receivers) await r.close();
});

async function subscribe(name: string, actions: string[], scope = '') {
  const r = await startReceiver();
  receivers.push(r);
  const res = await call(server.url, 'PUT', `/api/v1/webhooks/${name}`, { body: { properties: { serviceUri: r.url, actions, scope } } });
  assert.equal(res.status, 201, res.text);
  return r;
}

interface Pushed {
  digest: string;
  size: number;
  requestId: string;
}

/** Pushes a one-layer image (PUT by `reference`) and returns its digest, size and request id. */
async function push(repository: string, seed: string, reference?: string): Promise<Pushed> {
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', seed });
  const layer = `layer ${seed}`;
  const configDigest = await uploadBlob(server.url, repository, config);
  const layerDigest = await uploadBlob(server.url, repository, layer);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
  });
  const digest = sha256(manifest);
  const res = await call(server.url, 'PUT', `/v2/${repository}/manifests/${reference ?? digest}`, {
    headers: { 'content-type': OCI_MANIFEST, 'user-agent': UA },
    body: manifest,
  });
  assert.equal(res.status, 201, res.text);
  return { digest, size: Buffer.byteLength(manifest), requestId: String(res.headers['x-request-id']) };
}

const byAction = (all: Received[], action: string) => all.map((r) => r.json).filter((e) => e.action === action);
const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));

async function release(repository: string, digest: string, state: 'Passed' | 'Failed' | 'Quarantined') {
  const { store, lifecycle } = server.services;
  await store.transaction(async (tx) => {
    const manifest = await tx.manifests.get(repository, digest as `sha256:${string}`);
    assert.ok(manifest);
    await changeVerdict(tx, lifecycle, { manifest, state, request: { id: `verdict-${state}`, host, method: 'PATCH', useragent: 'scanner', actor: 'scanner' } });
  });
}

test('policy off: a push raises quarantine and push in ACR shapes; deletes raise delete; tag deletes nothing', async () => {
  const r = await subscribe('shapesoff', ['push', 'quarantine', 'delete'], 'shapes/off:*');
  const image = await push('shapes/off', 'off', 'v1');
  const all = await r.waitFor((rs) => rs.length >= 2);
  const [q] = byAction(all, 'quarantine');
  const [p] = byAction(all, 'push');

  assert.deepEqual(Object.keys(p), ['id', 'timestamp', 'action', 'target', 'request']);
  assert.match(p.id, UUID);
  assert.match(p.timestamp, ACR_TIME);
  assert.deepEqual(p.target, { mediaType: OCI_MANIFEST, size: image.size, digest: image.digest, length: image.size, repository: 'shapes/off', tag: 'v1' });
  assert.deepEqual(Object.keys(p.target), ['mediaType', 'size', 'digest', 'length', 'repository', 'tag']);
  assert.deepEqual(p.request, { id: image.requestId, host, method: 'PUT', useragent: UA });
  assert.deepEqual(Object.keys(p.request), ['id', 'host', 'method', 'useragent']);

  assert.deepEqual(Object.keys(q), ['id', 'timestamp', 'action', 'target', 'request']);
  assert.match(q.id, UUID);
  assert.notEqual(q.id, p.id);
  assert.match(q.timestamp, ACR_TIME);
  assert.deepEqual(q.target, { size: image.size, digest: image.digest, length: image.size, repository: 'shapes/off', tag: 'v1' });
  assert.deepEqual(Object.keys(q.target), ['size', 'digest', 'length', 'repository', 'tag']);
  assert.deepEqual(q.request, { id: image.requestId, host, method: 'PUT' });

  // By digest: no tag field at all.
  const byDigest = await push('shapes/off', 'off-digest');
  await r.waitFor((rs) => rs.length >= 4);
  for (const e of r.received.slice(2).map((x) => x.json)) {
    assert.equal(e.target.digest, byDigest.digest);
    assert.equal('tag' in e.target, false);
  }

  // A tag delete raises nothing; a manifest delete raises delete.
  assert.equal((await call(server.url, 'DELETE', '/v2/shapes/off/manifests/v1')).status, 202);
  const del = await call(server.url, 'DELETE', `/v2/shapes/off/manifests/${byDigest.digest}`, { headers: { 'user-agent': UA } });
  assert.equal(del.status, 202, del.text);
  await r.waitFor((rs) => rs.length >= 5);
  await settle();
  assert.equal(r.received.length, 5, 'exactly one more event: the manifest delete');
  const d = r.received[4]!.json;
  assert.deepEqual(Object.keys(d), ['id', 'timestamp', 'action', 'target', 'request']);
  assert.equal(d.action, 'delete');
  assert.deepEqual(d.target, { mediaType: OCI_MANIFEST, digest: byDigest.digest, repository: 'shapes/off' });
  assert.deepEqual(Object.keys(d.target), ['mediaType', 'digest', 'repository']);
  assert.deepEqual(d.request, { id: String(del.headers['x-request-id']), host, method: 'DELETE', useragent: UA });

  // A repository delete raises delete for each manifest left in it (the untagged v1 manifest
  // and a new one).
  const left = await push('shapes/off', 'off-left', 'v2');
  await r.waitFor((rs) => rs.length >= 7);
  const repoDel = await call(server.url, 'DELETE', '/acr/v1/shapes/off');
  assert.equal(repoDel.status, 202, repoDel.text);
  await r.waitFor((rs) => rs.length >= 9);
  await settle();
  const deletes = byAction(r.received, 'delete').slice(1);
  assert.equal(deletes.length, 2);
  assert.deepEqual(
    deletes.map((e) => e.target).sort((x, y) => x.digest.localeCompare(y.digest)),
    [image.digest, left.digest].sort().map((digest) => ({ mediaType: OCI_MANIFEST, digest, repository: 'shapes/off' })),
  );
  assert.equal(deletes[0].request.method, 'DELETE');
});

test('scope filtering follows ACR: repo:*, repo:tag, repo = repo:latest, empty = all', async () => {
  const star = await subscribe('scopestar', ['quarantine'], 'scoped/app:*');
  const tagged = await subscribe('scopetag', ['quarantine'], 'scoped/app:v1');
  const bare = await subscribe('scopebare', ['quarantine'], 'scoped/app');
  const everything = await subscribe('scopeall', ['quarantine'], '');
  const pushOnly = await subscribe('scopepush', ['push'], 'scoped/app:v1');
  await push('scoped/app', 'scope-v1', 'v1');
  await push('scoped/app', 'scope-latest', 'latest');
  await push('scoped/app', 'scope-digest');
  await push('scoped/other', 'scope-other', 'v1');
  await everything.waitFor((rs) => rs.length >= 4);
  await settle();
  const seen = (r: Receiver) => r.received.map((x) => `${x.json.target.repository}:${x.json.target.tag ?? '@'}`).sort();
  assert.deepEqual(seen(star), ['scoped/app:@', 'scoped/app:latest', 'scoped/app:v1']);
  assert.deepEqual(seen(tagged), ['scoped/app:v1']);
  assert.deepEqual(seen(bare), ['scoped/app:latest']);
  assert.deepEqual(seen(everything), ['scoped/app:@', 'scoped/app:latest', 'scoped/app:v1', 'scoped/other:v1']);
  assert.deepEqual(pushOnly.received.map((x) => x.json.action), ['push'], 'actions filter too');
  for (const name of ['scopestar', 'scopetag', 'scopebare', 'scopeall', 'scopepush']) await call(server.url, 'DELETE', `/api/v1/webhooks/${name}`);
});

test('policy on: quarantine only at push; push per held tag when Passed; none for Failed; at once for a Passed digest', async () => {
  const r = await subscribe('policyon', ['push', 'quarantine'], 'held/*:*');
  const on = await call(server.url, 'PATCH', '/api/v1/policies', { body: { quarantinePolicy: { status: 'enabled' } } });
  assert.equal(on.status, 200, on.text);
  try {
    const a = await push('held/app', 'held-a', 'v1');
    const again = await push('held/app', 'held-a', 'v2');
    assert.equal(again.digest, a.digest);
    const byDigest = await push('held/solo', 'held-solo');
    const failed = await push('held/bad', 'held-bad', 'v1');
    await r.waitFor((rs) => rs.length >= 4);
    await settle();
    assert.deepEqual(r.received.map((x) => x.json.action), ['quarantine', 'quarantine', 'quarantine', 'quarantine'], 'held pushes raise no push');

    await release('held/app', a.digest, 'Passed');
    await release('held/solo', byDigest.digest, 'Passed');
    await release('held/bad', failed.digest, 'Failed');
    await r.waitFor((rs) => rs.length >= 7);
    await settle();
    const pushes = byAction(r.received, 'push');
    assert.equal(pushes.length, 3, JSON.stringify(pushes));
    const app = pushes.filter((e) => e.target.repository === 'held/app');
    assert.deepEqual(app.map((e) => e.target.tag).sort(), ['v1', 'v2']);
    const v1 = app.find((e) => e.target.tag === 'v1');
    assert.deepEqual(v1.target, { mediaType: OCI_MANIFEST, size: a.size, digest: a.digest, length: a.size, repository: 'held/app', tag: 'v1' });
    assert.deepEqual(v1.request, { id: a.requestId, host, method: 'PUT', useragent: UA }, 'the request of the push being released');
    const solo = pushes.find((e) => e.target.repository === 'held/solo');
    assert.equal('tag' in solo.target, false, 'pushed by digest: one push without a tag');
    assert.equal(pushes.some((e) => e.target.repository === 'held/bad'), false, 'Failed raises no push');

    // Already Passed: a new tag raises quarantine and push at once.
    await push('held/app', 'held-a', 'v3');
    await r.waitFor((rs) => rs.length >= 9);
    assert.deepEqual(r.received.slice(7).map((x) => `${x.json.action}:${x.json.target.tag}`).sort(), ['push:v3', 'quarantine:v3']);

    // Back on hold and released again: nothing new (the push went out already).
    await release('held/app', a.digest, 'Quarantined');
    await release('held/app', a.digest, 'Passed');
    await settle(400);
    assert.equal(r.received.length, 9);

    // A rescan raises quarantine again.
    const rescan = await call(server.url, 'POST', '/api/v1/quarantine/rescan', { body: { state: 'Failed', repository: 'held/bad' } });
    assert.equal(rescan.status, 200, rescan.text);
    await r.waitFor((rs) => rs.length >= 10);
    const q = r.received[9]!.json;
    assert.equal(q.action, 'quarantine');
    assert.equal(q.target.digest, failed.digest);
  } finally {
    await call(server.url, 'PATCH', '/api/v1/policies', { body: { quarantinePolicy: { status: 'disabled' } } });
  }
});

test('policy on: a tag moved while held is not announced for the old manifest', async () => {
  const r = await subscribe('movedtag', ['push'], 'moved/app:*');
  await call(server.url, 'PATCH', '/api/v1/policies', { body: { quarantinePolicy: { status: 'enabled' } } });
  try {
    const first = await push('moved/app', 'moved-a', 'v1');
    const second = await push('moved/app', 'moved-b', 'v1');
    await release('moved/app', first.digest, 'Passed');
    await release('moved/app', second.digest, 'Passed');
    await r.waitFor((rs) => rs.length >= 2);
    await settle();
    const pushes = r.received.map((x) => x.json);
    assert.equal(pushes.length, 2);
    const a = pushes.find((e) => e.target.digest === first.digest);
    const b = pushes.find((e) => e.target.digest === second.digest);
    assert.equal('tag' in a.target, false, 'v1 now names the second manifest: the first is announced without a tag');
    assert.equal(b.target.tag, 'v1');
  } finally {
    await call(server.url, 'PATCH', '/api/v1/policies', { body: { quarantinePolicy: { status: 'disabled' } } });
  }
});
