/**
 * An image's whole history (GET /api/v1/repositories/{name}/manifests/{digest}/history) over
 * real HTTP, on SQLite and PostgreSQL: a real server in token mode, the scan orchestrator with a
 * Trivy-like adapter (the findings are the test's), a release policy, an exception, a cosign
 * signature made here and verified by the registry, a tag moved to a newer image. Asserts the
 * entries, their order, the policy version that decided, the exceptions used, the signer; a
 * held image answers as a missing one to those without quarantine read; bad input names the
 * problem in the registry's error format; paging with the cursor.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from './helpers/server.ts';
import { adminAuth, basicAuth, bearer, createUser, startTokenServer } from './helpers/identities.ts';
import { call, pushImage, type PushedImage } from './helpers/quarantine-fixtures.ts';
import { startTrivyLikeAdapter, type TrivyLikeAdapter } from './helpers/trivy-like-adapter.ts';
import { cosignKey, lazaret, pushCosignSignature } from './helpers/release-policy.ts';
import { DATABASES, onDatabase } from './helpers/databases.ts';
import { until } from './helpers/until.ts';

const FAST = { 'scanner.firstPollMs': 50, 'scanner.defaultRefreshMs': 100, 'scanner.pollIntervalMs': 50, 'scanner.healthIntervalSeconds': 1, 'scanner.requestTimeoutSeconds': 2 };
const REPO = 'team-h/app';
const GHOST = `sha256:${'e'.repeat(64)}`;

for (const database of DATABASES) {
  const db = onDatabase(database, 'history');
  describe(`an image's history (${database})`, { skip: db.skip }, () => {
    let s: TestServer;
    let adapter: TrivyLikeAdapter;
    let img: PushedImage;
    let newer: PushedImage;
    let exceptionId: string;
    let signature: string;
    const ci = cosignKey();
    const admin = { authorization: adminAuth() };
    const as = (user: string) => ({ authorization: basicAuth(user, `${user}-password`) });
    const verdict = async (digest: string) => (await s.services.store.verdicts.get(REPO, digest as never))?.state;
    const history = (digest: string, headers: Record<string, string>, query = '') => call(s.url, 'GET', `/api/v1/repositories/${REPO}/manifests/${digest}/history${query}`, { headers });
    const push = async (seed: string) => pushImage(s.url, REPO, { seed, tag: 'v1', headers: { authorization: await bearer(s, 'pusher', 'pusher-password', `repository:${REPO}:pull,push`) } });

    before(async () => {
      s = await startTokenServer({ ...FAST, ...db.config });
      adapter = await startTrivyLikeAdapter();
      await createUser(s, 'pusher', 'pusher-password', [{ role: 'AcrPush' }]);
      await createUser(s, 'puller', 'puller-password', [{ role: 'AcrPull' }]);
      await createUser(s, 'qreader', 'qreader-password', [{ role: 'AcrQuarantineReader' }]);
      await createUser(s, 'alice', 'alice-password', [{ role: 'AcrQuarantineWriter', repository: REPO }]);
      assert.equal((await call(s.url, 'POST', '/api/v1/scanners', { headers: admin, body: { name: 'trivy', url: adapter.url, default: true } })).status, 201);
      const doc = { name: 'team-h', repositories: ['team-h/*'], rules: [{ name: 'no-critical', vulnerabilities: { maxSeverity: 'High' } }, { name: 'signed-by-ci', signatures: { min: 1, cosign: { keys: [ci.publicPem] } } }] };
      assert.equal((await call(s.url, 'POST', '/api/v1/release-policies', { headers: admin, body: { document: doc } })).status, 201);

      // Every image has a Critical finding (set before any push, so no scan can run before it):
      // it fails the image; an exception and a signature release it.
      const critical = [{ id: 'CVE-2021-44906', package: 'minimist', version: '1.2.5', fix_version: '1.2.6', severity: 'Critical' }];
      adapter.findings.get = () => critical;
      img = await push('h1');
      await until('Failed', async () => (await verdict(img.digest)) === 'Failed');
      const created = await call(s.url, 'POST', '/api/v1/policy-exceptions', { headers: as('alice'), body: { vulnerability: 'CVE-2021-44906', digest: `${REPO}@${img.digest}`, reason: 'build-time only', expires: new Date(Date.now() + 3_600_000).toISOString() } });
      assert.equal(created.status, 201, created.text);
      exceptionId = created.body.id;
      await until('held by the signature rule', async () => (await s.services.releasePolicy.idle(), (await verdict(img.digest)) === 'Quarantined'));
      const authorization = await bearer(s, 'pusher', 'pusher-password', `repository:${REPO}:pull,push`);
      signature = await pushCosignSignature(s.url, REPO, img.digest, ci, { headers: { authorization }, subjectSize: img.size });
      await until('Passed', async () => (await s.services.releasePolicy.idle(), (await verdict(img.digest)) === 'Passed'));
      // A newer image takes the tag: the first one's history says where v1 went. It stays held (Failed, no exception).
      newer = await push('h2');
      await until('the newer image failed', async () => (await verdict(newer.digest)) === 'Failed');
    });
    after(async () => {
      await s?.close();
      await adapter?.close();
      await db.drop();
    });

    test('the released image: pushed, scanned, failed, excepted, signed, released by policy version 1, tag moved, in order', async () => {
      const r = await history(img.digest, as('qreader'));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.digest, img.digest);
      const events: any[] = r.body.events;
      const times = events.map((e) => Date.parse(e.at));
      assert.deepEqual(times, [...times].sort((a, b) => a - b), 'oldest first');

      const pushed = events.find((e) => e.kind === 'pushed');
      assert.deepEqual([pushed.source, pushed.actor, pushed.tags], ['audit', 'pusher', ['v1']]);
      const scanned = events.find((e) => e.kind === 'scanned');
      assert.equal(scanned.scanner, 'trivy');
      assert.equal(scanned.counts.Critical, 1);

      const verdicts = events.filter((e) => e.kind === 'verdict');
      assert.deepEqual(verdicts.map((e) => `${e.verdict.from}>${e.verdict.to}`), ['null>Quarantined', 'Quarantined>Failed', 'Failed>Quarantined', 'Quarantined>Passed']);
      const [, failed, excepted, released] = verdicts;
      assert.deepEqual(failed.policy, { name: 'team-h', version: 1 });
      assert.equal(failed.actor, 'policy:team-h');
      assert.deepEqual(failed.decision, { failed: ['no-critical'], pending: ['signed-by-ci'], exceptions: [] });
      assert.deepEqual(excepted.decision, { failed: [], pending: ['signed-by-ci'], exceptions: [exceptionId] });
      assert.deepEqual(released.policy, { name: 'team-h', version: 1 });
      assert.deepEqual(released.decision, { failed: [], pending: [], exceptions: [exceptionId] });
      assert.match(released.summary, /Quarantined → Passed by release policy team-h v1/);
      assert.deepEqual(released.exceptionsUsed.map((x: any) => [x.id, x.vulnerability, x.reason, x.status]), [[exceptionId, 'CVE-2021-44906', 'build-time only', 'active']]);

      const sig = events.find((e) => e.kind === 'referrer' && e.referrer.scheme === 'cosign');
      assert.deepEqual(sig.referrer, { digest: signature, scheme: 'cosign', verified: true, identity: sig.referrer.identity });
      assert.match(sig.referrer.identity, /^key:/);
      const report = events.find((e) => e.kind === 'referrer' && e.referrer.scheme === 'report');
      assert.equal(report.referrer.verified, false, 'the scan report is attached, and nothing verified it');
      const evaluated = events.find((e) => e.kind === 'evaluated');
      assert.deepEqual([evaluated.policy.version, evaluated.decision.exceptions], [1, [exceptionId]]);
      const moved = events.find((e) => e.kind === 'tag-moved');
      assert.deepEqual([moved.tag, moved.digest, moved.actor], ['v1', newer.digest, 'pusher']);

      const order = (kind: string, pick = (e: any) => e.kind === kind) => events.findIndex(pick);
      assert.ok(order('pushed') < order('scanned'), 'pushed before scanned');
      assert.ok(events.indexOf(failed) < events.indexOf(excepted) && events.indexOf(excepted) < events.indexOf(released));
      assert.ok(events.indexOf(sig) < events.indexOf(released), 'signed before released');
      assert.ok(events.indexOf(released) < order('tag-moved'), 'the tag moved after the release');
    });

    test('paging: n and the opaque cursor give the same events; a foreign cursor is a clear 400', async () => {
      const whole = (await history(img.digest, as('qreader'))).body.events.map((e: any) => e.id);
      const paged: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 50; i++) {
        const r = await history(img.digest, as('qreader'), `?n=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        assert.equal(r.status, 200, r.text);
        assert.ok(r.body.events.length <= 2);
        paged.push(...r.body.events.map((e: any) => e.id));
        cursor = r.body.next;
        if (!cursor) break;
      }
      assert.deepEqual(paged, whole);
      const bad = await history(img.digest, as('qreader'), '?cursor=not-ours');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.errors[0].code, 'BAD_REQUEST');
      assert.equal(bad.body.errors[0].detail.field, 'cursor');
      assert.equal((await history(img.digest, as('qreader'), '?n=501')).status, 400, 'the page size is bounded');
    });

    test('a held image is a missing image for AcrPull and an Owner without quarantine read; a quarantine reader sees it', async () => {
      assert.equal(await verdict(newer.digest), 'Failed');
      for (const who of [as('puller'), admin]) {
        const held = await history(newer.digest, who);
        const missing = await history(GHOST, who);
        assert.equal(held.status, 404, held.text);
        assert.equal(held.body.errors[0].code, 'MANIFEST_UNKNOWN');
        assert.equal(held.text.replaceAll(newer.digest, GHOST), missing.text, 'same body as a missing manifest: no counts, no times');
        assert.deepEqual({ ...held.headers, date: null, 'x-request-id': null, 'content-length': null }, { ...missing.headers, date: null, 'x-request-id': null, 'content-length': null });
      }
      const released = await history(img.digest, as('puller'));
      assert.equal(released.status, 200, 'a released image is readable with metadata read');
      // The rules' reasons are why-held's (finding ids, packages): for those who may read it only.
      const evaluated = released.body.events.find((e: any) => e.kind === 'evaluated');
      assert.deepEqual([evaluated.policy.version, evaluated.rules, evaluated.exceptionsUsed], [1, undefined, undefined]);
      assert.deepEqual(evaluated.decision.exceptions, [exceptionId], 'the id of what was used, without what it excepts');
      const full = (await history(img.digest, as('qreader'))).body.events.find((e: any) => e.kind === 'evaluated');
      assert.match(full.rules.find((r: any) => r.rule === 'no-critical').reason, /CVE-2021-44906/);
      const seen = await history(newer.digest, as('qreader'));
      assert.equal(seen.status, 200);
      assert.deepEqual(seen.body.events.filter((e: any) => e.kind === 'pushed').map((e: any) => e.tags), [['v1']]);
      // The push entries of a held image stay out of the audit log of callers who may not see held metadata.
      const reader = await call(s.url, 'GET', `/api/v1/audit?target=${encodeURIComponent(`${REPO}@${newer.digest}`)}`, { headers: as('puller') });
      assert.ok(reader.status === 403 || reader.body.entries.length === 0, reader.text);
    });

    test('CLI: lazaret image history prints the timeline as a table or JSON; a held tag is absent for AcrPull', async () => {
      const env = (user: string) => ({ LAZARET_REGISTRY: s.url, LAZARET_USERNAME: user, LAZARET_PASSWORD: `${user}-password` });
      const table = await lazaret(['image', 'history', `${REPO}@${img.digest}`], env('qreader'));
      assert.equal(table.code, 0, table.stderr);
      const lines = table.stdout.trim().split('\n');
      assert.match(lines[0]!, /^AT\s+KIND\s+ACTOR\s+SUMMARY\s+DETAIL\s+SOURCE$/);
      assert.match(lines[1]!, /pushed\s+pusher\s+pushed by pusher as v1/);
      assert.ok(lines.some((l) => /verdict\s+policy:team-h\s+Quarantined → Passed by release policy team-h v1.*policy team-h v1; exceptions CVE-2021-44906 \(/.test(l)), table.stdout);
      assert.ok(lines.some((l) => l.includes(`cosign ${signature} signed by key:`)), table.stdout);
      assert.ok(lines.some((l) => /tag-moved\s+pusher\s+tag v1 moved to/.test(l)), table.stdout);
      const json = await lazaret(['image', 'history', `${REPO}:v1`, '--json', '-n', '3'], env('qreader'));
      assert.equal(json.code, 0, json.stderr);
      const body = JSON.parse(json.stdout);
      assert.equal(body.digest, newer.digest, 'the tag names the newer image now');
      assert.equal(body.events.length, 3);
      assert.ok(body.next, 'more than 3 events: the cursor of the rest');
      const refused = await lazaret(['image', 'history', `${REPO}:v1`], env('puller'));
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /MANIFEST_UNKNOWN/);
      assert.equal(refused.stdout, '');
    });

    test('bad input: an invalid digest or name is refused in the registry error format; anonymous is challenged', async () => {
      const bad = await history('sha256:nothex', as('qreader'));
      assert.equal(bad.status, 400);
      assert.equal(bad.body.errors[0].code, 'DIGEST_INVALID');
      assert.match(bad.body.errors[0].message, /invalid digest/);
      const name = await call(s.url, 'GET', `/api/v1/repositories/Team-H/manifests/${img.digest}/history`, { headers: as('qreader') });
      assert.equal(name.body.errors[0].code, 'NAME_INVALID');
      const nobody = await call(s.url, 'GET', `/api/v1/repositories/nosuch/repo/manifests/${img.digest}/history`, { headers: as('qreader') });
      assert.equal(nobody.status, 404);
      assert.equal(nobody.body.errors[0].code, 'NAME_UNKNOWN');
      assert.equal((await history(img.digest, {})).status, 401);
    });
  });
}
