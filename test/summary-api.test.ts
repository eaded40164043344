/**
 * GET /api/v1/summary over real HTTP in token mode: the overview's counts per principal, and the
 * leak rule: for a principal without quarantine read, held content changes nothing in the
 * answer (byte for byte), and it gets no held counts at all.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from './helpers/server.ts';
import { adminAuth, basicAuth, createUser, startTokenServer } from './helpers/identities.ts';
import { call, pushImage } from './helpers/quarantine-fixtures.ts';

describe('GET /api/v1/summary (token mode)', () => {
  let s: TestServer;
  const PW = 'summary-password';
  const admin = { authorization: adminAuth() };
  const summaryAs = async (authorization: string) => {
    const r = await call(s.url, 'GET', '/api/v1/summary', { headers: { authorization } });
    assert.equal(r.status, 200, r.text);
    return r;
  };
  const verdict = (repository: string, digest: string, state: string) => s.services.store.verdicts.set({ repository, digest: digest as never, state: state as never, updatedBy: 't' });

  before(async () => {
    s = await startTokenServer();
    await createUser(s, 'puller', PW, [{ role: 'AcrPull' }]);
    await createUser(s, 'reader', PW, [{ role: 'AcrPull' }, { role: 'AcrQuarantineReader', repository: 'team-a/*' }]);
    assert.equal((await call(s.url, 'PATCH', '/api/v1/policies', { headers: admin, body: { quarantinePolicy: { status: 'enabled' } } })).status, 200);
    await pushImage(s.url, 'team-a/app', { seed: 'sum-a1', tag: '1', headers: admin });
    const a2 = await pushImage(s.url, 'team-a/app', { seed: 'sum-a2', tag: '2', headers: admin });
    const b1 = await pushImage(s.url, 'team-b/app', { seed: 'sum-b1', tag: '1', headers: admin });
    const b2 = await pushImage(s.url, 'team-b/app', { seed: 'sum-b2', tag: '2', headers: admin });
    await verdict('team-a/app', a2.digest, 'Passed');
    await verdict('team-b/app', b1.digest, 'Failed');
    await verdict('team-b/app', b2.digest, 'Passed');
  });
  after(() => s.close());

  test('a configure holder (Owner) gets registry-wide held counts and the operator block', async () => {
    const { body } = await summaryAs(adminAuth());
    assert.equal(body.policy, 'enabled');
    assert.equal(body.repositories, 2);
    assert.equal(body.manifests, 4);
    assert.deepEqual(body.held, { scope: 'registry', repositories: 2, waiting: 1, byState: { absent: 0, Quarantined: 1, Passed: 2, Failed: 1 } });
    assert.ok(body.operations, 'operations for configure');
    assert.deepEqual(Object.keys(body.operations).sort(), ['lastGc', 'outbox', 'scanBacklog', 'scanners']);
    assert.equal(body.operations.lastGc, null);
    assert.ok(Array.isArray(body.operations.scanners));
  });

  test('a quarantine reader of team-a/* gets held counts of team-a only; released content elsewhere', async () => {
    const { body } = await summaryAs(basicAuth('reader', PW));
    assert.equal(body.repositories, 2);
    assert.equal(body.manifests, 3, 'both of team-a, the released one of team-b');
    assert.deepEqual(body.held, { scope: 'repositories', repositories: 1, waiting: 1, byState: { absent: 0, Quarantined: 1, Passed: 1, Failed: 0 } });
    assert.equal(body.operations, null);
  });

  test('a pull-only principal sees no held count, and held pushes do not change its answer by a byte', async () => {
    const first = await summaryAs(basicAuth('puller', PW));
    assert.deepEqual(first.body, { policy: 'enabled', repositories: 2, manifests: 2, held: null, operations: null });
    const readerBefore = (await summaryAs(basicAuth('reader', PW))).text;
    // Held content: in a repository the puller knows, and in a repository holding nothing released.
    await pushImage(s.url, 'team-b/app', { seed: 'sum-b3', tag: '3', headers: admin });
    await pushImage(s.url, 'team-c/app', { seed: 'sum-c1', tag: '1', headers: admin });
    const b4 = await pushImage(s.url, 'team-b/app', { seed: 'sum-b4', headers: admin });
    await verdict('team-b/app', b4.digest, 'Failed');
    assert.equal((await summaryAs(basicAuth('puller', PW))).text, first.text);
    assert.equal((await summaryAs(basicAuth('reader', PW))).text, readerBefore, 'held content outside team-a is invisible to its reader too');
    const owner = (await summaryAs(adminAuth())).body;
    assert.equal(owner.repositories, 2, "the catalog's rule: a repository holding only held content is not listed without quarantine read");
    assert.equal(owner.held.repositories, 3);
    assert.deepEqual(owner.held.byState, { absent: 0, Quarantined: 3, Passed: 2, Failed: 2 });
  });

  test('without the policy, a manifest without a verdict is not waiting and every manifest counts for the puller', async () => {
    assert.equal((await call(s.url, 'PATCH', '/api/v1/policies', { headers: admin, body: { quarantinePolicy: { status: 'disabled' } } })).status, 200);
    try {
      const pushed = await pushImage(s.url, 'team-d/app', { seed: 'sum-d1', tag: '1', headers: admin });
      assert.equal(await s.services.store.verdicts.get('team-d/app', pushed.digest as never), undefined);
      const owner = (await summaryAs(adminAuth())).body;
      assert.equal(owner.policy, 'disabled');
      assert.equal(owner.held.byState.absent, 1);
      assert.equal(owner.held.waiting, 3, 'Quarantined still waits; no verdict does not while nothing is gated');
      assert.equal((await summaryAs(basicAuth('puller', PW))).body.manifests, owner.manifests, 'nothing is gated: the puller sees what exists');
    } finally {
      await call(s.url, 'PATCH', '/api/v1/policies', { headers: admin, body: { quarantinePolicy: { status: 'enabled' } } });
    }
  });

  test('no credentials: 401; the route is in the OpenAPI document', async () => {
    assert.equal((await call(s.url, 'GET', '/api/v1/summary')).status, 401);
    const doc = (await call(s.url, 'GET', '/api/v1/openapi.json', { headers: admin })).body;
    assert.ok(doc.paths['/api/v1/summary']?.get, 'declared in the route table');
  });
});
