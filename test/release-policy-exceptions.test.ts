/**
 * Exceptions governed over real HTTP (token mode, SQLite; the store suite runs them on
 * PostgreSQL too): who may create them, the two-person rule (the creator cannot approve), an
 * exception releasing a failed image through re-evaluation, expiry stopping it at once (drift),
 * revocation, bad input naming the field, the audit, and the CLI.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from './helpers/server.ts';
import type { RoleName } from '../src/access/roles.ts';
import { adminAuth, basicAuth, bearer, createUser, startTokenServer } from './helpers/identities.ts';
import { call, pushImage, type PushedImage } from './helpers/quarantine-fixtures.ts';
import { startTrivyLikeAdapter, type TrivyLikeAdapter } from './helpers/trivy-like-adapter.ts';
import { lazaret } from './helpers/release-policy.ts';
import { until } from './helpers/until.ts';

const FAST = { 'scanner.firstPollMs': 50, 'scanner.defaultRefreshMs': 100, 'scanner.pollIntervalMs': 50, 'scanner.healthIntervalSeconds': 1, 'scanner.requestTimeoutSeconds': 2 };


describe('release policy exceptions', () => {
  let s: TestServer;
  let adapter: TrivyLikeAdapter;
  let img: PushedImage;
  const admin = { authorization: adminAuth() };
  const as = (user: string) => ({ authorization: basicAuth(user, `${user}-password`) });
  const verdict = async () => (await s.services.store.verdicts.get(img.repository, img.digest as never))?.state;
  const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();
  const add = (user: string, body: Record<string, unknown>) => call(s.url, 'POST', '/api/v1/policy-exceptions', { headers: as(user), body: { vulnerability: 'CVE-2021-44906', reason: 'minimist is only used at build time', expires: inAnHour(), ...body } });

  before(async () => {
    s = await startTokenServer(FAST);
    adapter = await startTrivyLikeAdapter();
    for (const u of ['alice', 'bob']) await createUser(s, u, `${u}-password`, [{ role: 'AcrQuarantineWriter', repository: 'team-x/app' }, { role: 'AcrPush' }]);
    await createUser(s, 'puller', 'puller-password', [{ role: 'AcrPull' }]);
    assert.equal((await call(s.url, 'POST', '/api/v1/scanners', { headers: admin, body: { name: 'trivy', url: adapter.url, default: true } })).status, 201);
    const doc = { name: 'team-x', repositories: ['team-x/*'], exceptions: { requireApproval: true }, rules: [{ name: 'no-critical', vulnerabilities: { maxSeverity: 'High' } }] };
    assert.equal((await call(s.url, 'POST', '/api/v1/release-policies', { headers: admin, body: { document: doc } })).status, 201);
    const authorization = await bearer(s, 'alice', 'alice-password', 'repository:team-x/app:pull,push');
    img = await pushImage(s.url, 'team-x/app', { seed: 'x1', tag: 'v1', headers: { authorization } });
    adapter.findings.set(img.digest, [{ id: 'CVE-2021-44906', package: 'minimist', version: '1.2.5', fix_version: '1.2.6', severity: 'Critical' }]);
    await until('Failed', async () => (await verdict()) === 'Failed');
  });
  after(async () => {
    await s?.close();
    await adapter?.close();
  });

  test('bad exceptions are refused naming the field; a pull-only principal may not create one', async () => {
    for (const [body, field] of [
      [{ digest: `${'team-x/app'}@${img.digest}`, expires: '2020-01-01' }, 'expires'],
      [{ digest: `${'team-x/app'}@${img.digest}`, expires: 'soon' }, 'expires'],
      [{ digest: `${'team-x/app'}@${img.digest}`, expires: new Date(Date.now() + 400 * 86_400_000).toISOString() }, 'expires'],
      [{}, 'repository'],
      [{ repository: 'team-x/app', all: true }, 'repository'],
      [{ digest: 'team-x/app:v1' }, 'digest'],
      [{ repository: 'team-x/app', vulnerability: '!' }, 'vulnerability'],
      [{ repository: 'team-x/app', reason: '' }, 'reason'],
      [{ repository: 'team-x/app', ticket: 'ftp://tickets/1' }, 'ticket'],
    ] as const) {
      const r = await add('alice', body);
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
      assert.equal(r.body.errors[0].detail.field, field, r.text);
    }
    assert.equal((await add('puller', { digest: `team-x/app@${img.digest}` })).status, 403);
    const glob = await add('alice', { repository: 'team-x/*' });
    assert.equal(glob.status, 403, 'alice holds exception write on team-x/app only; a glob reaches repositories nobody listed');
    assert.match(glob.body.errors[0].message, /needs quarantine\/exception-write \(AcrQuarantineWriter or Owner\) on every repository under team-x\//);
    assert.equal((await add('alice', { all: true })).status, 403);
  });

  test('quarantine/exception-write, role by role: only AcrQuarantineWriter and Owner; on what their assignment covers', async () => {
    const roles: RoleName[] = ['Owner', 'Contributor', 'Reader', 'AcrPull', 'AcrPush', 'AcrDelete', 'AcrImageSigner', 'AcrQuarantineReader', 'AcrQuarantineWriter'];
    const holders = ['Owner', 'AcrQuarantineWriter'];
    for (const role of roles) {
      const wide = `wide-${role.toLowerCase()}`;
      const scoped = `scoped-${role.toLowerCase()}`;
      await createUser(s, wide, `${wide}-password`, [{ role }]);
      await createUser(s, scoped, `${scoped}-password`, [{ role, repository: 'roles/*' }]);
      const expectWide = holders.includes(role) ? 201 : 403;
      assert.equal((await add(wide, { repository: 'roles/app' })).status, expectWide, `${role} registry-wide, a repository`);
      assert.equal((await add(wide, { repository: 'roles/*' })).status, expectWide, `${role} registry-wide, a glob`);
      assert.equal((await add(wide, { all: true })).status, expectWide, `${role} registry-wide, all`);
      assert.equal((await add(scoped, { digest: `roles/app@${img.digest}` })).status, expectWide, `${role} on roles/*, a digest there`);
      assert.equal((await add(scoped, { repository: 'roles/*/x' })).status, expectWide, `${role} on roles/*, a glob inside it`);
      assert.equal((await add(scoped, { repository: 'other/app' })).status, 403, `${role} on roles/*, elsewhere`);
      assert.equal((await add(scoped, { repository: 'rol*' })).status, 403, `${role} on roles/*, a glob reaching beyond it`);
      assert.equal((await add(scoped, { all: true })).status, 403, `${role} on roles/*, all`);
    }
    // The scope-map verb: a repository-scoped token may file exceptions where its map says, and reads nothing held.
    const map = await call(s.url, 'PUT', '/api/v1/scope-maps/ci-exceptions', { headers: admin, body: { actions: ['repositories/ci/*/quarantine/exception-write', 'repositories/ci/*/content/read'] } });
    assert.equal(map.status, 201, map.text);
    const token = await call(s.url, 'POST', '/api/v1/tokens', { headers: admin, body: { name: 'ci-exceptions', scopeMap: 'ci-exceptions' } });
    const password = token.body.credentials.passwords[0].value;
    const tokenAdd = (body: Record<string, unknown>) => call(s.url, 'POST', '/api/v1/policy-exceptions', { headers: { authorization: basicAuth('ci-exceptions', password) }, body: { vulnerability: 'CVE-2021-44906', reason: 'filed by CI', expires: inAnHour(), ...body } });
    assert.equal((await tokenAdd({ repository: 'ci/*' })).status, 201);
    assert.equal((await tokenAdd({ repository: 'team-x/app' })).status, 403);
    assert.equal((await tokenAdd({ all: true })).status, 403);
  });

  test('two-person rule: pending until someone else approves; then the failed image is released by re-evaluation', async () => {
    const created = await add('alice', { digest: `team-x/app@${img.digest}`, ticket: 'https://tickets.example/SEC-1' });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.status, 'pending');
    await s.services.releasePolicy.idle();
    assert.equal(await verdict(), 'Failed', 'a pending exception does not count');
    const self = await call(s.url, 'POST', `/api/v1/policy-exceptions/${created.body.id}/approve`, { headers: as('alice') });
    assert.equal(self.status, 403);
    assert.match(self.body.errors[0].message, /creator \(alice\) cannot approve/);
    const ok = await call(s.url, 'POST', `/api/v1/policy-exceptions/${created.body.id}/approve`, { headers: as('bob') });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.status, 'active');
    assert.equal(ok.body.approvedBy, 'bob');
    await until('Passed', async () => (await s.services.releasePolicy.idle(), (await verdict()) === 'Passed'));
    const why = await call(s.url, 'GET', `/api/v1/quarantine/why-held?repository=team-x/app&digest=${img.digest}`, { headers: admin });
    assert.match(why.body.evaluation.rules[0].reason, /1 finding\(s\) excepted: CVE-2021-44906/);
    assert.deepEqual(why.body.evaluation.rules[0].evidence.exceptions, [created.body.id]);
    const again = await call(s.url, 'POST', `/api/v1/policy-exceptions/${created.body.id}/approve`, { headers: as('bob') });
    assert.equal(again.status, 409);
    const audit = await call(s.url, 'GET', `/api/v1/audit?target=exception:${created.body.id}`, { headers: admin });
    assert.deepEqual(audit.body.entries.map((e: any) => `${e.action}:${e.actor}`), ['exception.approve:bob', 'exception.create:alice']);
  });

  test('an expired exception stops counting at once: the released image is flagged (notify), not un-released', async () => {
    // A second, short exception; then the long one is revoked.
    const short = await add('bob', { repository: 'team-x/app', expires: new Date(Date.now() + 4000).toISOString() });
    assert.equal((await call(s.url, 'POST', `/api/v1/policy-exceptions/${short.body.id}/approve`, { headers: as('alice') })).status, 200);
    const list = await call(s.url, 'GET', '/api/v1/policy-exceptions?status=active', { headers: admin });
    const long = list.body.exceptions.find((e: any) => e.scope === 'digest');
    const revoked = await call(s.url, 'POST', `/api/v1/policy-exceptions/${long.id}/revoke`, { headers: as('alice') });
    assert.equal(revoked.body.status, 'revoked');
    await s.services.releasePolicy.idle();
    let e = await s.services.store.releaseEvaluations.get('team-x/app', img.digest);
    assert.equal(e?.passed, true, 'still covered by the short exception');
    await new Promise((r) => setTimeout(r, Math.max(0, new Date(short.body.expiresAt).getTime() - Date.now()) + 100));
    // The server's own 30 s sweep may have found the expiry first; either way one sweep did.
    const swept = await s.services.releasePolicy.sweep();
    assert.ok(swept.expired <= 1);
    await s.services.releasePolicy.idle();
    e = await s.services.store.releaseEvaluations.get('team-x/app', img.digest);
    assert.equal(e?.passed, false);
    assert.ok(e?.violatingSince);
    assert.equal(await verdict(), 'Passed', 'notify: the image stays released and is flagged');
    const expired = await call(s.url, 'GET', '/api/v1/policy-exceptions?status=expired', { headers: admin });
    assert.deepEqual(expired.body.exceptions.map((x: any) => x.id), [short.body.id]);
  });

  test('digest exceptions are listed only to callers who may see the repository held metadata', async () => {
    const seen = await call(s.url, 'GET', '/api/v1/policy-exceptions', { headers: as('puller') });
    assert.equal(seen.status, 200);
    assert.ok(!seen.text.includes(img.digest), 'a pull-only principal never sees the digest');
    assert.ok(seen.body.exceptions.some((x: any) => x.scope === 'repository'));
  });

  test('the CLI: exception add, list, approve, revoke', async () => {
    const env = { LAZARET_REGISTRY: s.url, LAZARET_USERNAME: 'alice', LAZARET_PASSWORD: 'alice-password' };
    const added = await lazaret(['policy', 'exception', 'add', 'CVE-2024-0002', '--repository', 'team-x/app', '--reason', 'no network access', '--expires', inAnHour(), '--ticket', 'https://tickets.example/SEC-2'], env);
    assert.equal(added.code, 0, added.stderr);
    const id = /exception (ex-[0-9a-f]+) created, pending/.exec(added.stdout)?.[1];
    assert.ok(id, added.stdout);
    const self = await lazaret(['policy', 'exception', 'approve', id], env);
    assert.equal(self.code, 1);
    assert.match(self.stderr, /403 DENIED: .*cannot approve/);
    const approved = await lazaret(['policy', 'exception', 'approve', id], { ...env, LAZARET_USERNAME: 'bob', LAZARET_PASSWORD: 'bob-password' });
    assert.match(approved.stdout, new RegExp(`exception ${id} approved: active`));
    const list = await lazaret(['policy', 'exception', 'list', '--status', 'active'], env);
    assert.match(list.stdout, new RegExp(`${id}\\s+CVE-2024-0002\\s+team-x/app\\s+active`));
    const revoked = await lazaret(['policy', 'exception', 'revoke', id], env);
    assert.match(revoked.stdout, /revoked/);
    const none = await lazaret(['policy', 'exception', 'add', 'CVE-2024-0002', '--reason', 'x y z', '--expires', inAnHour()], env);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /exactly one of --repository/);
  });
});
