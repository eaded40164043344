/**
 * Who may set a verdict (docs/quarantine.md "Verdicts"), in token mode over real HTTP: quarantine
 * write on THAT repository, through Basic credentials or a token asked for with push or
 * metadata_write; the other changeable attributes need metadata_write; Owner does not bypass.
 * Every refusal leaves the verdict and the audit log untouched.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from './helpers/server.ts';
import { adminAuth, basicAuth, bearer, createUser, startTokenServer } from './helpers/identities.ts';
import { call, pushImage, type PushedImage } from './helpers/quarantine-fixtures.ts';

describe('verdict permissions (token mode)', () => {
  let s: TestServer;
  let a: PushedImage;
  let b: PushedImage;
  const PW = 'permissions-password';
  const patch = (img: PushedImage, authorization: string, body: unknown) =>
    call(s.url, 'PATCH', `/acr/v1/${img.repository}/_manifests/${img.digest}`, { headers: { authorization }, body });
  const state = async (img: PushedImage) => (await s.services.store.verdicts.get(img.repository, img.digest as never))?.state;
  const verdictAudits = async () => (await s.services.store.audit.list({ action: 'verdict.change' })).filter((e) => e.actor !== 'admin').length;

  before(async () => {
    s = await startTokenServer();
    await createUser(s, 'puller', PW, [{ role: 'AcrPull' }]);
    await createUser(s, 'team-a-scanner', PW, [{ role: 'AcrQuarantineWriter', repository: 'team-a/*' }]);
    await createUser(s, 'scanner', PW, [{ role: 'AcrQuarantineWriter' }]);
    assert.equal((await call(s.url, 'PATCH', '/api/v1/policies', { headers: { authorization: adminAuth() }, body: { quarantinePolicy: { status: 'enabled' } } })).status, 200);
    a = await pushImage(s.url, 'team-a/app', { seed: 'perm-a', tag: '1', headers: { authorization: adminAuth() } });
    b = await pushImage(s.url, 'team-b/app', { seed: 'perm-b', tag: '1', headers: { authorization: adminAuth() } });
  });
  after(() => s.close());

  test('refused: owner without a quarantine role, pull-only, a writer on another repository, a token without push/metadata_write', async () => {
    const audits = await verdictAudits();
    const owner = await patch(a, adminAuth(), { quarantineState: 'Passed' });
    assert.equal(owner.status, 403);
    assert.equal(owner.body.errors[0].code, 'DENIED');
    assert.match(owner.body.errors[0].message, /quarantine write \(AcrQuarantineWriter\) on team-a\/app/);
    const puller = await patch(a, basicAuth('puller', PW), { quarantineState: 'Passed' });
    assert.equal(puller.status, 403);
    const elsewhere = await patch(b, basicAuth('team-a-scanner', PW), { quarantineState: 'Passed' });
    assert.equal(elsewhere.status, 403);
    const pullToken = await bearer(s, 'scanner', PW, 'repository:team-a/app:pull');
    const weak = await patch(a, pullToken, { quarantineState: 'Passed' });
    assert.equal(weak.status, 401);
    assert.match(String(weak.headers['www-authenticate']), /scope="repository:team-a\/app:metadata_write".*error="insufficient_scope"/);
    const attrs = await patch(a, basicAuth('scanner', PW), { quarantineState: 'Passed', readEnabled: false });
    assert.equal(attrs.status, 403);
    assert.match(attrs.body.errors[0].message, /needs metadata_write/);
    assert.equal(await state(a), 'Quarantined');
    assert.equal(await state(b), 'Quarantined');
    assert.equal(await verdictAudits(), audits, 'refusals write no audit entries');
  });

  test('allowed: a repository-limited writer on its repository, with Basic and with a pull,push token', async () => {
    const r = await patch(a, basicAuth('team-a-scanner', PW), { quarantineState: 'Failed', quarantineDetails: '{"state":"2 critical"}' });
    assert.equal(r.status, 200, r.text);
    assert.equal(await state(a), 'Failed');
    const token = await bearer(s, 'team-a-scanner', PW, 'repository:team-a/app:pull,push');
    const again = await patch(a, token, { quarantineState: 'Passed' });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.manifest.changeableAttributes.quarantineDetails, '{"state":"2 critical"}', 'details kept when not sent');
    assert.equal((await call(s.url, 'GET', '/v2/team-a/app/manifests/1', { headers: { authorization: basicAuth('puller', PW) } })).status, 200);
    // ... and back on hold (a new CVE): the puller loses it again.
    assert.equal((await patch(a, token, { quarantineState: 'Quarantined' })).status, 200);
    assert.equal((await call(s.url, 'GET', '/v2/team-a/app/manifests/1', { headers: { authorization: basicAuth('puller', PW) } })).status, 404);
    const entries = (await call(s.url, 'GET', `/api/v1/audit?action=verdict.change&target=${encodeURIComponent(`team-a/app@${a.digest}`)}`, { headers: { authorization: adminAuth() } })).body.entries;
    assert.deepEqual(entries.map((e: any) => [e.actor, e.before?.quarantineState ?? null, e.after.quarantineState]), [
      ['team-a-scanner', 'Passed', 'Quarantined'],
      ['team-a-scanner', 'Failed', 'Passed'],
      ['team-a-scanner', 'Quarantined', 'Failed'],
      ['admin', null, 'Quarantined'],
    ]);
  });

  test('the audit log needs audit_read', async () => {
    assert.equal((await call(s.url, 'GET', '/api/v1/audit', { headers: { authorization: basicAuth('scanner', PW) } })).status, 403);
    assert.equal((await call(s.url, 'GET', '/api/v1/audit')).status, 401);
    assert.equal((await call(s.url, 'PATCH', '/api/v1/policies', { headers: { authorization: basicAuth('scanner', PW) }, body: { quarantinePolicy: { status: 'disabled' } } })).status, 403);
    assert.equal((await call(s.url, 'POST', '/api/v1/quarantine/grandfather', { headers: { authorization: basicAuth('scanner', PW) } })).status, 403);
  });
  test('a note given with a verdict (X-Lazaret-Audit-Note, percent-encoded) lands in the audit entry only', async () => {
    const note = 'CVE-2026-1234 waived: not reachable — ticket SEC-7';
    const r = await call(s.url, 'PATCH', `/acr/v1/${b.repository}/_manifests/${b.digest}`, {
      headers: { authorization: basicAuth('scanner', PW), 'x-lazaret-audit-note': encodeURIComponent(note) },
      body: { quarantineState: 'Failed' },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.manifest.changeableAttributes.quarantineDetails, undefined, 'the note is not the scanner details');
    const [entry] = await s.services.store.audit.list({ action: 'verdict.change', targetPrefix: `${b.repository}@${b.digest}` });
    assert.equal(entry?.details, note);
    const bad = await call(s.url, 'PATCH', `/acr/v1/${b.repository}/_manifests/${b.digest}`, {
      headers: { authorization: basicAuth('scanner', PW), 'x-lazaret-audit-note': '%E0%A4%A' },
      body: { quarantineState: 'Passed' },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0].code, 'BAD_REQUEST');
    assert.equal(await state(b), 'Failed', 'a refused note changes nothing');
  });
});
