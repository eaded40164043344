/**
 * Operating the gate over real HTTP (auth none: every caller has `configure`): the policy
 * endpoints and their audit entries, preflight, rescan, grandfather, the queue, sticky
 * verdicts, and the policy cache across two processes sharing one database.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { call, pushImage, pushIndex, type PushedImage } from './helpers/quarantine-fixtures.ts';

const enable = (u: string, status = 'enabled') => call(u, 'PATCH', '/api/v1/policies', { body: { quarantinePolicy: { status } } });

describe('quarantine operations (auth none)', () => {
  let s: TestServer;
  let u: string;
  let before1: PushedImage;
  let before2: PushedImage;

  before(async () => {
    s = await startTestServer({ 'auth.mode': 'none' });
    u = s.url;
  });
  after(() => s.close());

  test('policy: disabled by default, GET/PATCH and the ACR-style list/update, audited, invalid bodies refused', async () => {
    assert.deepEqual((await call(u, 'GET', '/api/v1/policies')).body, { quarantinePolicy: { status: 'disabled' } });
    assert.deepEqual((await call(u, 'POST', '/api/v1/policies/list')).body, { quarantinePolicy: { status: 'disabled' } });
    const upd = await call(u, 'POST', '/api/v1/policies/update', { body: { quarantinePolicy: { status: 'enabled' }, trustPolicy: { status: 'disabled', type: 'Notary' } } });
    assert.equal(upd.status, 200, upd.text);
    assert.deepEqual(upd.body, { quarantinePolicy: { status: 'enabled' } });
    assert.deepEqual((await enable(u, 'disabled')).body, { quarantinePolicy: { status: 'disabled' } });
    const bad = await call(u, 'PATCH', '/api/v1/policies', { body: { quarantinePolicy: { status: 'on' } } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0].code, 'BAD_REQUEST');
    assert.deepEqual((await call(u, 'GET', '/api/v1/policies')).body, { quarantinePolicy: { status: 'disabled' } });
    const audit = await call(u, 'GET', '/api/v1/audit?action=policy.change');
    assert.equal(audit.status, 200);
    assert.deepEqual(audit.body.entries.map((e: any) => [e.before.status, e.after.status]), [['enabled', 'disabled'], ['disabled', 'enabled']]);
    assert.ok(audit.body.entries.every((e: any) => e.actor === 'anonymous' && e.target === 'policy:quarantine' && e.requestId));
  });

  test('pushes with the policy off get no verdict and are pullable; preflight lists them', async () => {
    before1 = await pushImage(u, 'legacy', { seed: 'l1', tag: 'v1' });
    before2 = await pushImage(u, 'legacy', { seed: 'l2', tag: 'v2' });
    assert.equal((await call(u, 'GET', '/v2/legacy/manifests/v1')).status, 200);
    assert.equal(await s.services.store.verdicts.get('legacy', before1.digest as any), undefined);
    const pre = await call(u, 'GET', '/api/v1/quarantine/preflight');
    assert.equal(pre.status, 200);
    assert.equal(pre.body.policy, 'disabled');
    assert.equal(pre.body.wouldHold, 2);
    assert.deepEqual(pre.body.manifests.map((m: any) => [m.digest, m.tags, m.quarantineState]), [[before1.digest, ['v1'], null], [before2.digest, ['v2'], null]]);
  });

  test('enabling holds pre-existing manifests without a verdict; new pushes get Quarantined; verdicts are sticky', async () => {
    await enable(u);
    const r = await call(u, 'GET', '/v2/legacy/manifests/v1');
    assert.equal(r.status, 404);
    assert.match(String(r.headers.warning), /no verdict yet/);
    const fresh = await pushImage(u, 'legacy', { seed: 'new', tag: 'v3' });
    assert.equal((await s.services.store.verdicts.get('legacy', fresh.digest as any))?.state, 'Quarantined');
    const pushAudit = (await call(u, 'GET', `/api/v1/audit?action=verdict.change&target=${encodeURIComponent(`legacy@${fresh.digest}`)}`)).body.entries;
    assert.equal(pushAudit.length, 1);
    assert.match(pushAudit[0].details, /assigned at push/);
    // A Passed digest pushed again under a new tag, and after delete + re-push, stays Passed.
    await s.services.store.verdicts.set({ repository: 'legacy', digest: fresh.digest as any, state: 'Passed', updatedBy: 't' });
    await pushImage(u, 'legacy', { seed: 'new', tag: 'v3-again' });
    assert.equal((await call(u, 'GET', '/v2/legacy/manifests/v3-again')).status, 200);
    assert.equal((await call(u, 'DELETE', `/v2/legacy/manifests/${fresh.digest}`)).status, 202);
    await pushImage(u, 'legacy', { seed: 'new', tag: 'v3' });
    assert.equal((await s.services.store.verdicts.get('legacy', fresh.digest as any))?.state, 'Passed');
    assert.equal((await call(u, 'GET', '/v2/legacy/manifests/v3')).status, 200);
    // A Failed verdict survives delete + re-push too.
    const bad = await pushImage(u, 'legacy', { seed: 'bad', tag: 'bad' });
    await s.services.store.verdicts.set({ repository: 'legacy', digest: bad.digest as any, state: 'Failed', updatedBy: 't' });
    await call(u, 'DELETE', `/v2/legacy/manifests/${bad.digest}`);
    await enable(u, 'disabled');
    await pushImage(u, 'legacy', { seed: 'bad', tag: 'bad' });
    await enable(u);
    assert.equal((await s.services.store.verdicts.get('legacy', bad.digest as any))?.state, 'Failed');
    assert.equal((await call(u, 'GET', `/v2/legacy/manifests/${bad.digest}`)).status, 403);
  });

  test('the queue lists held manifests oldest first, filtered by state and repository', async () => {
    const q = await call(u, 'GET', '/api/v1/quarantine/queue');
    assert.equal(q.status, 200);
    assert.deepEqual(q.body.manifests.map((m: any) => [m.digest, m.quarantineState]).slice(0, 2), [[before1.digest, null], [before2.digest, null]]);
    assert.ok(q.body.manifests.some((m: any) => m.quarantineState === 'Failed'));
    assert.ok(q.body.manifests.every((m: any) => m.quarantineState !== 'Passed'));
    const failed = await call(u, 'GET', '/api/v1/quarantine/queue?state=Failed&repository=legacy');
    assert.deepEqual(failed.body.manifests.map((m: any) => m.quarantineState), ['Failed']);
    const paged = await call(u, 'GET', '/api/v1/quarantine/queue?n=1');
    assert.equal(paged.body.manifests.length, 1);
    const next = await call(u, 'GET', `/api/v1/quarantine/queue?n=1&last=${paged.body.next}`);
    assert.equal(next.body.manifests[0].digest, before2.digest);
    assert.equal((await call(u, 'GET', '/api/v1/quarantine/queue?state=Clean')).status, 400);
  });

  test('an index and its children are judged one by one: a released index does not release a held child', async () => {
    const amd = await pushImage(u, 'multi', { seed: 'multi-amd', architecture: 'amd64' });
    const arm = await pushImage(u, 'multi', { seed: 'multi-arm', architecture: 'arm64' });
    const index = await pushIndex(u, 'multi', [
      { digest: amd.digest, size: amd.size, architecture: 'amd64', os: 'linux' },
      { digest: arm.digest, size: arm.size, architecture: 'arm64', os: 'linux' },
    ], 'v1');
    for (const d of [index, amd.digest, arm.digest]) assert.equal((await s.services.store.verdicts.get('multi', d as any))?.state, 'Quarantined', 'every manifest push is held');
    await s.services.store.verdicts.set({ repository: 'multi', digest: index as any, state: 'Passed', updatedBy: 't' });
    await s.services.store.verdicts.set({ repository: 'multi', digest: amd.digest as any, state: 'Passed', updatedBy: 't' });
    assert.equal((await call(u, 'GET', '/v2/multi/manifests/v1')).status, 200, 'the index itself is released');
    assert.equal((await call(u, 'GET', `/v2/multi/manifests/${amd.digest}`)).status, 200);
    assert.equal((await call(u, 'GET', `/v2/multi/blobs/${amd.layers[0]}`)).status, 200);
    const child = await call(u, 'GET', `/v2/multi/manifests/${arm.digest}`);
    assert.equal(child.status, 403);
    assert.match(String(child.headers.warning), /Quarantined/);
    assert.equal((await call(u, 'GET', `/v2/multi/blobs/${arm.layers[0]}`)).status, 403, "a held child's layers stay held");
    assert.equal((await call(u, 'GET', `/v2/multi/blobs/${arm.config}`)).status, 403);
    const listed = (await call(u, 'GET', '/acr/v1/multi/_manifests')).body.manifests.map((m: any) => m.digest).sort();
    assert.deepEqual(listed, [index, amd.digest].sort());
    await s.services.store.verdicts.set({ repository: 'multi', digest: arm.digest as any, state: 'Passed', updatedBy: 't' });
    assert.equal((await call(u, 'GET', `/v2/multi/blobs/${arm.layers[0]}`)).status, 200);
  });

  test('rescan raises a quarantine event request per manifest without a verdict; grandfather passes them, audited', async () => {
    const rescan = await call(u, 'POST', '/api/v1/quarantine/rescan', { body: {} });
    assert.equal(rescan.status, 200, rescan.text);
    assert.deepEqual(rescan.body, { requested: 2 });
    const g = await call(u, 'POST', '/api/v1/quarantine/grandfather', { body: { repository: 'legacy' } });
    assert.deepEqual(g.body, { passed: 2 });
    for (const img of [before1, before2]) assert.equal((await s.services.store.verdicts.get('legacy', img.digest as any))?.state, 'Passed');
    assert.equal((await call(u, 'GET', '/v2/legacy/manifests/v1')).status, 200);
    const entries = (await call(u, 'GET', `/api/v1/audit?action=verdict.change&target=${encodeURIComponent(`legacy@${before1.digest}`)}`)).body.entries;
    assert.equal(entries.length, 1);
    assert.equal(entries[0].before, null);
    assert.equal(entries[0].after.quarantineState, 'Passed');
    assert.match(entries[0].details, /grandfathered: marked Passed in bulk without a scan/);
    // Only manifests WITHOUT a verdict: the Failed one is untouched, and a second run does nothing.
    assert.deepEqual((await call(u, 'POST', '/api/v1/quarantine/grandfather')).body, { passed: 0 });
    assert.equal((await call(u, 'GET', '/api/v1/quarantine/queue?state=Failed')).body.manifests.length, 1);
    assert.equal((await call(u, 'POST', '/api/v1/quarantine/grandfather', { body: { state: 'Failed' } })).status, 400);
  });
});

test('two processes on one database: a policy change is seen by the other within the cache second; pushes never miss it', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lazaret-shared-'));
  const a = await startTestServer({ 'auth.mode': 'none' }, { dataDir });
  const b = await startTestServer({ 'auth.mode': 'none' }, { dataDir });
  try {
    const img = await pushImage(a.url, 'shared', { seed: 's', tag: 't' });
    assert.equal((await call(b.url, 'GET', '/v2/shared/manifests/t')).status, 200); // b caches "disabled"
    await enable(a.url);
    assert.equal((await call(a.url, 'GET', '/v2/shared/manifests/t')).status, 404, 'the changing process sees it at once');
    // A push through b right now is held although b's read cache may still say disabled.
    const pushedViaB = await pushImage(b.url, 'shared', { seed: 's2', tag: 't2' });
    assert.equal((await b.services.store.verdicts.get('shared', pushedViaB.digest as any))?.state, 'Quarantined');
    const start = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - start < 3000) {
      status = (await call(b.url, 'GET', `/v2/shared/manifests/${img.digest}`)).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(status, 403);
    assert.ok(Date.now() - start <= 1500, `seen after ${Date.now() - start} ms`);
  } finally {
    await a.close();
    await b.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
