/**
 * The cached /v2 tags-list pages (src/registry/tag-pages.ts) on one node: every change that can
 * change a page is in the next list at once, whichever path made it (the /v2 and /acr/v1 APIs,
 * a write straight to the node's store as a background job makes), and a page cached for a
 * principal that sees held tags never answers one that does not (and the other way round).
 * Real server in token mode, real HTTP. The same across nodes: test/cluster-haproxy.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from './helpers/server.ts';
import { adminAuth, basicAuth, createUser, startTokenServer } from './helpers/identities.ts';
import { call, pushImage, type PushedImage } from './helpers/quarantine-fixtures.ts';

const REPO = 'cached/app';
const PASSWORD = 'cache-password-1';

describe('cached tags-list pages on one node', () => {
  let s: TestServer;
  let a: PushedImage;
  let b: PushedImage;
  const admin = () => ({ authorization: adminAuth() });
  const puller = { authorization: basicAuth('cpuller', PASSWORD) };
  const reader = { authorization: basicAuth('creader', PASSWORD) };
  const writer = { authorization: basicAuth('cwriter', PASSWORD) };
  /** The tags a principal is listed (both n=1000 and n=1, the first page, so two keys are cached). */
  async function tags(h: Record<string, string>, query = ''): Promise<string[] | number> {
    const r = await call(s.url, 'GET', `/v2/${REPO}/tags/list${query}`, { headers: h });
    return r.status === 200 ? r.body.tags : r.status;
  }
  const verdict = async (digest: string, state: string) =>
    assert.equal((await call(s.url, 'PATCH', `/acr/v1/${REPO}/_manifests/${digest}`, { headers: writer, body: { quarantineState: state } })).status, 200);

  before(async () => {
    s = await startTokenServer();
    await createUser(s, 'cpuller', PASSWORD, [{ role: 'AcrPull' }]);
    await createUser(s, 'creader', PASSWORD, [{ role: 'AcrQuarantineReader' }]);
    await createUser(s, 'cwriter', PASSWORD, [{ role: 'AcrQuarantineWriter' }]);
    a = await pushImage(s.url, REPO, { seed: 'cache-a', tag: 'a', headers: admin() });
    b = await pushImage(s.url, REPO, { seed: 'cache-b', tag: 'b', headers: admin() });
    assert.equal((await call(s.url, 'PATCH', '/api/v1/policies', { headers: admin(), body: { quarantinePolicy: { status: 'enabled' } } })).status, 200);
    await verdict(a.digest, 'Passed');
  });
  after(() => s?.close());

  test('held tags never cross from one visibility class to the other', async () => {
    for (let i = 0; i < 2; i++) {
      // Asked twice each, in both orders: the second answer of each comes from the cache.
      assert.deepEqual(await tags(puller), ['a']);
      assert.deepEqual(await tags(reader), ['a', 'b']);
      assert.deepEqual(await tags(puller), ['a']);
    }
    assert.ok(s.services.tagPages.entries >= 2, 'both classes are cached');
  });

  test('a verdict change (through /acr/v1 and straight in the store) is in the next list', async () => {
    assert.deepEqual(await tags(puller), ['a']);
    await verdict(b.digest, 'Passed');
    assert.deepEqual(await tags(puller), ['a', 'b']);
    await verdict(b.digest, 'Quarantined');
    assert.deepEqual(await tags(puller), ['a'], 'a re-quarantined tag leaves the list at once');
    await s.services.store.verdicts.set({ repository: REPO, digest: b.digest as never, state: 'Passed', updatedBy: 'test' });
    assert.deepEqual(await tags(puller), ['a', 'b']);
    await s.services.store.verdicts.set({ repository: REPO, digest: b.digest as never, state: 'Failed', updatedBy: 'test' });
    assert.deepEqual(await tags(puller), ['a']);
  });

  test('a tag pushed, moved or deleted, a manifest deleted, listEnabled changed: in the next list', async () => {
    assert.deepEqual(await tags(reader), ['a', 'b']);
    assert.deepEqual(await tags(reader, '?n=1'), ['a']);
    // A new tag on the released manifest.
    assert.equal((await call(s.url, 'PUT', `/v2/${REPO}/manifests/c`, { headers: { ...admin(), 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: a.manifest })).status, 201);
    assert.deepEqual(await tags(puller), ['a', 'c']);
    assert.deepEqual(await tags(reader), ['a', 'b', 'c']);
    // Moved to the held manifest: it leaves the puller's list.
    assert.equal((await call(s.url, 'PUT', `/v2/${REPO}/manifests/c`, { headers: { ...admin(), 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: b.manifest })).status, 201);
    assert.deepEqual(await tags(puller), ['a']);
    assert.equal((await call(s.url, 'DELETE', `/v2/${REPO}/manifests/c`, { headers: admin() })).status, 202);
    assert.deepEqual(await tags(reader), ['a', 'b']);
    // listEnabled on a tag, through /acr/v1, and on a manifest straight in the store.
    assert.equal((await call(s.url, 'PATCH', `/acr/v1/${REPO}/_tags/a`, { headers: admin(), body: { listEnabled: false } })).status, 200);
    assert.deepEqual(await tags(reader), ['b']);
    assert.equal((await call(s.url, 'PATCH', `/acr/v1/${REPO}/_tags/a`, { headers: admin(), body: { listEnabled: true } })).status, 200);
    await s.services.store.manifests.updateAttributes(REPO, b.digest as never, { listEnabled: false });
    assert.deepEqual(await tags(reader), ['a']);
    await s.services.store.manifests.updateAttributes(REPO, b.digest as never, { listEnabled: true });
    assert.deepEqual(await tags(reader, '?n=1'), ['a']);
    assert.deepEqual(await tags(reader), ['a', 'b']);
    // A manifest deleted takes its tags along.
    assert.equal((await call(s.url, 'DELETE', `/v2/${REPO}/manifests/${b.digest}`, { headers: admin() })).status, 202);
    assert.deepEqual(await tags(reader), ['a']);
  });

  test('the policy switched off shows every tag at once, and on again hides held ones', async () => {
    b = await pushImage(s.url, REPO, { seed: 'cache-b2', tag: 'b', headers: admin() });
    assert.deepEqual(await tags(puller), ['a']);
    assert.equal((await call(s.url, 'PATCH', '/api/v1/policies', { headers: admin(), body: { quarantinePolicy: { status: 'disabled' } } })).status, 200);
    assert.deepEqual(await tags(puller), ['a', 'b']);
    assert.equal((await call(s.url, 'PATCH', '/api/v1/policies', { headers: admin(), body: { quarantinePolicy: { status: 'enabled' } } })).status, 200);
    assert.deepEqual(await tags(puller), ['a']);
  });

  test('a deleted repository is unknown at once, not served from the cache', async () => {
    assert.deepEqual(await tags(reader), ['a', 'b']);
    assert.equal((await call(s.url, 'DELETE', `/acr/v1/${REPO}`, { headers: admin() })).status, 202);
    assert.equal(await tags(reader), 404);
  });
});
