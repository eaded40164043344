/**
 * Cached tags-list pages on two nodes sharing one PostgreSQL schema, when the `tag-lists`
 * notification does not reach the node holding the pages (its listening connection is closed
 * here: the same as the milliseconds before a notification arrives, made to last). A change
 * made through the other node must be in that node's next list all the same: each page carries
 * its repository's generation and a hit is served only while the generation has not moved
 * (src/registry/tag-pages.ts). Real servers in token mode, real HTTP, real PostgreSQL. The
 * same through three processes behind HAProxy: test/cluster-haproxy.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { TEST_DATABASE_URL, dropTestSchema, postgresReachable, skipUnless } from './helpers/environment.ts';
import { adminAuth, basicAuth, createUser, startTokenServer } from './helpers/identities.ts';
import type { TestServer } from './helpers/server.ts';
import { call, pushImage, type PushedImage } from './helpers/quarantine-fixtures.ts';

const schema = `tag_pages_${randomBytes(4).toString('hex')}`;
const databaseUrl = `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}schema=${schema}`;
const REPO = 'nodes/app';
const PASSWORD = 'nodes-password-1';

describe('cached tags-list pages on two nodes whose notifications do not arrive', { skip: skipUnless(await postgresReachable(), 'PostgreSQL is not reachable') }, () => {
  let a: TestServer;
  let b: TestServer;
  let x: PushedImage;
  let y: PushedImage;
  const admin = () => ({ authorization: adminAuth() });
  const puller = { authorization: basicAuth('npuller', PASSWORD) };
  const writer = { authorization: basicAuth('nwriter', PASSWORD) };
  const json = { 'content-type': 'application/json' };
  async function tags(node: TestServer, h: Record<string, string>): Promise<string[] | number> {
    const r = await call(node.url, 'GET', `/v2/${REPO}/tags/list`, { headers: h });
    return r.status === 200 ? r.body.tags : r.status;
  }
  const verdict = async (digest: string, state: string) =>
    assert.equal((await call(a.url, 'PATCH', `/acr/v1/${REPO}/_manifests/${digest}`, { headers: { ...writer, ...json }, body: { quarantineState: state } })).status, 200);
  /** B lists `want` to the puller, the second time from its cache. */
  async function cachedOnB(want: string[], what: string) {
    assert.deepEqual(await tags(b, puller), want, what);
    const before = b.services.tagPages.entries;
    assert.deepEqual(await tags(b, puller), want, `${what}, again`);
    assert.ok(before >= 1 && b.services.tagPages.entries === before, 'served from the cache');
  }

  before(async () => {
    const overrides = { databaseUrl, service: 'registry.test' };
    a = await startTokenServer(overrides);
    b = await startTokenServer(overrides);
    await createUser(a, 'npuller', PASSWORD, [{ role: 'AcrPull' }]);
    await createUser(a, 'nwriter', PASSWORD, [{ role: 'AcrQuarantineWriter' }]);
    assert.equal((await call(a.url, 'PATCH', '/api/v1/policies', { headers: { ...admin(), ...json }, body: { quarantinePolicy: { status: 'enabled' } } })).status, 200);
    x = await pushImage(a.url, REPO, { seed: 'nodes-x', tag: 'x', headers: admin() });
    y = await pushImage(a.url, REPO, { seed: 'nodes-y', tag: 'y', headers: admin() });
    await verdict(x.digest, 'Passed');
    await verdict(y.digest, 'Passed');
    // From here on B hears nothing from A.
    await b.services.notifications.close();
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await dropTestSchema(schema);
  });

  test('a re-quarantine through A is out of B\'s next list, never listed to AcrPull', async () => {
    await cachedOnB(['x', 'y'], 'both released');
    await verdict(y.digest, 'Quarantined');
    assert.deepEqual(await tags(b, puller), ['x'], 're-quarantined on A: B does not list it');
    await cachedOnB(['x'], 'the new page is cached');
    await verdict(y.digest, 'Passed');
    assert.deepEqual(await tags(b, puller), ['x', 'y'], 'released on A: listed on B at once');
  });

  test('a tag pushed, moved or deleted, listEnabled changed through A: in B\'s next list', async () => {
    const put = (tag: string, image: PushedImage) =>
      call(a.url, 'PUT', `/v2/${REPO}/manifests/${tag}`, { headers: { ...admin(), 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: image.manifest });
    await cachedOnB(['x', 'y'], 'before');
    assert.equal((await put('z', x)).status, 201);
    assert.deepEqual(await tags(b, puller), ['x', 'y', 'z'], 'a new tag');
    await verdict(y.digest, 'Quarantined');
    await cachedOnB(['x', 'z'], 'y held again');
    assert.equal((await put('z', y)).status, 201);
    assert.deepEqual(await tags(b, puller), ['x'], 'z moved to the held manifest');
    await verdict(y.digest, 'Passed');
    await cachedOnB(['x', 'y', 'z'], 'released');
    assert.equal((await call(a.url, 'DELETE', `/v2/${REPO}/manifests/z`, { headers: admin() })).status, 202);
    assert.deepEqual(await tags(b, puller), ['x', 'y'], 'the tag deleted');
    assert.equal((await call(a.url, 'PATCH', `/acr/v1/${REPO}/_tags/x`, { headers: { ...admin(), ...json }, body: { listEnabled: false } })).status, 200);
    assert.deepEqual(await tags(b, puller), ['y'], 'listEnabled off');
  });

  test('a write straight to A\'s store (as a background job makes) and a repository deleted: in B\'s next list', async () => {
    await cachedOnB(['y'], 'before');
    await a.services.store.verdicts.set({ repository: REPO, digest: y.digest as never, state: 'Failed', updatedBy: 'test' });
    assert.deepEqual(await tags(b, puller), [], 'failed straight in A\'s store: not listed on B (x is released but not listable)');
    await a.services.store.verdicts.set({ repository: REPO, digest: y.digest as never, state: 'Passed', updatedBy: 'test' });
    await cachedOnB(['y'], 'released straight in the store');
    assert.equal((await call(a.url, 'DELETE', `/acr/v1/${REPO}`, { headers: admin() })).status, 202);
    assert.equal(await tags(b, puller), 404, 'the repository deleted on A is unknown on B');
  });
});
