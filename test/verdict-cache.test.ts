/**
 * The gate's verdict memo (src/quarantine/verdict-cache.ts) on one node: a manifest read by a
 * principal without quarantine read is answered from the memo, and every verdict change, by
 * whichever path (the /acr/v1 API, a write straight to the node's store as the scan and policy
 * jobs make, inside a transaction or not), is in force for the next read. Real server in token
 * mode, real HTTP. Across nodes the memo is off (services.ts): test/cluster-haproxy.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from './helpers/server.ts';
import { adminAuth, basicAuth, createUser, startTokenServer } from './helpers/identities.ts';
import { call, pushImage, type PushedImage } from './helpers/quarantine-fixtures.ts';

const REPO = 'memo/app';
const PASSWORD = 'memo-password-1';

describe('the gate remembers verdicts on one node, exactly', () => {
  let s: TestServer;
  let img: PushedImage;
  const admin = () => ({ authorization: adminAuth() });
  const puller = { authorization: basicAuth('mpuller', PASSWORD) };
  const writer = { authorization: basicAuth('mwriter', PASSWORD) };
  const accept = 'application/vnd.oci.image.manifest.v1+json';
  const byTag = async () => (await call(s.url, 'GET', `/v2/${REPO}/manifests/v1`, { headers: { ...puller, accept } })).status;
  const byDigest = async () => (await call(s.url, 'GET', `/v2/${REPO}/manifests/${img.digest}`, { headers: { ...puller, accept } })).status;
  const patch = async (state: string) =>
    assert.equal((await call(s.url, 'PATCH', `/acr/v1/${REPO}/_manifests/${img.digest}`, { headers: writer, body: { quarantineState: state } })).status, 200);
  const direct = (state: 'Passed' | 'Quarantined' | 'Failed') => s.services.store.verdicts.set({ repository: REPO, digest: img.digest as never, state, updatedBy: 'test' });

  before(async () => {
    s = await startTokenServer();
    await createUser(s, 'mpuller', PASSWORD, [{ role: 'AcrPull' }]);
    await createUser(s, 'mwriter', PASSWORD, [{ role: 'AcrQuarantineWriter' }]);
    img = await pushImage(s.url, REPO, { seed: 'memo', tag: 'v1', headers: admin() });
    assert.equal((await call(s.url, 'PATCH', '/api/v1/policies', { headers: admin(), body: { quarantinePolicy: { status: 'enabled' } } })).status, 200);
  });
  after(() => s?.close());

  test('held, then released, then held again: each read follows the last change', async () => {
    assert.equal(await byTag(), 404, 'held before any verdict');
    assert.equal(await byDigest(), 403);
    await patch('Passed');
    assert.equal(await byTag(), 200);
    assert.equal(await byTag(), 200);
    assert.ok(s.services.verdictCache.entries >= 1, 'the verdict is remembered');
    await patch('Quarantined');
    assert.equal(await byTag(), 404, 'a re-quarantined image is refused at once');
    assert.equal(await byDigest(), 403);
    await direct('Passed');
    assert.equal(await byDigest(), 200);
    await direct('Failed');
    assert.equal(await byTag(), 404, 'a write straight to the store is in force at once');
    await s.services.store.transaction(async (tx) => {
      await tx.verdicts.set({ repository: REPO, digest: img.digest as never, state: 'Passed', updatedBy: 'test' });
    });
    assert.equal(await byTag(), 200, 'and one inside a transaction, after it committed');
  });

  // The memo also remembers whether a repository holds a released manifest (the catalog's
  // question): every change that moves that answer is in force for the next page.
  test('the catalog follows the last change: released, re-held, released elsewhere, deleted', async () => {
    const listed = async () => ((await call(s.url, 'GET', '/v2/_catalog', { headers: puller })).body.repositories as string[]).includes(REPO);
    // ACR answers an empty catalog with `repositories: null`.
    const acrListed = async () => (((await call(s.url, 'GET', '/acr/v1/_catalog', { headers: puller })).body.repositories ?? []) as string[]).includes(REPO);
    await direct('Quarantined');
    assert.equal(await listed(), false, 'only held content: not listed');
    assert.equal(await listed(), false, 'asked again (from the memo)');
    await patch('Passed');
    assert.equal(await listed(), true);
    assert.equal(await acrListed(), true);
    await patch('Quarantined');
    assert.equal(await listed(), false, 'its only released image re-held: gone at once');
    assert.equal(await acrListed(), false);
    // A second image, released in a transaction, brings the repository back.
    const other = await pushImage(s.url, REPO, { seed: 'memo-2', tag: 'v2', headers: admin() });
    assert.equal(await listed(), false, 'a new image is held');
    await s.services.store.transaction(async (tx) => {
      await tx.verdicts.set({ repository: REPO, digest: other.digest as never, state: 'Passed', updatedBy: 'test' });
    });
    assert.equal(await listed(), true);
    // Deleting the released image leaves only held content again.
    assert.equal((await call(s.url, 'DELETE', `/v2/${REPO}/manifests/${other.digest}`, { headers: admin() })).status, 202);
    assert.equal(await listed(), false, 'its released image deleted: gone at once');
    assert.equal(await acrListed(), false);
  });

  test('a verdict written in a transaction that rolls back is never served', async () => {
    await direct('Quarantined');
    assert.equal(await byTag(), 404);
    await assert.rejects(s.services.store.transaction(async (tx) => {
      await tx.verdicts.set({ repository: REPO, digest: img.digest as never, state: 'Passed', updatedBy: 'test' });
      throw new Error('roll back');
    }));
    assert.equal(await byTag(), 404, 'rolled back: still held');
  });
});
