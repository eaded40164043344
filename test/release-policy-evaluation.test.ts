/**
 * Release policies deciding verdicts, end to end over real HTTP: a real server in token mode, the
 * scan orchestrator with a Trivy-like adapter (the findings are the test's), cosign signatures
 * made here with keys generated here (node:crypto) and verified by the registry, on SQLite and
 * PostgreSQL. Per-pattern gating (team-a gated, team-b not, same registry), each rule kind, fail
 * closed, "why held" and its leak rule, re-evaluation on a policy change, drift (notify and
 * requarantine with a clock the test controls), the dry run changing nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { TestServer } from './helpers/server.ts';
import { adminAuth, basicAuth, bearer, createUser, startTokenServer, ADMIN_PASSWORD } from './helpers/identities.ts';
import { call, pushImage, type PushedImage } from './helpers/quarantine-fixtures.ts';
import { startTrivyLikeAdapter, type TrivyLikeAdapter } from './helpers/trivy-like-adapter.ts';
import { startReceiver, RECEIVER_CONFIG, type Receiver } from './helpers/webhook-receiver.ts';
import { cosignKey, lazaret, pushCosignSignature } from './helpers/release-policy.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresReachable, skipUnless, TEST_DATABASE_URL, dropTestSchema } from './helpers/environment.ts';
import { until } from './helpers/until.ts';

const FAST = { 'scanner.firstPollMs': 50, 'scanner.defaultRefreshMs': 100, 'scanner.pollIntervalMs': 50, 'scanner.healthIntervalSeconds': 1, 'scanner.requestTimeoutSeconds': 2, ...RECEIVER_CONFIG };
const pgUp = await postgresReachable();


for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`release policies decide verdicts (${backend})`, { skip: backend === 'postgres' ? skipUnless(pgUp, `PostgreSQL not reachable at ${TEST_DATABASE_URL}`) : false }, () => {
    let s: TestServer;
    let adapter: TrivyLikeAdapter;
    let receiver: Receiver;
    const schema = `lazaret_rpe_${randomBytes(5).toString('hex')}`;
    const admin = { authorization: adminAuth() };
    const ci = cosignKey();
    const stranger = cosignKey();
    const images: Record<string, PushedImage> = {};
    const policy = (overrides: Record<string, unknown> = {}) => ({
      name: 'team-a',
      repositories: ['team-a/*'],
      rules: [
        { name: 'no-critical', vulnerabilities: { maxSeverity: 'High' } },
        { name: 'signed-by-ci', signatures: { min: 1, cosign: { keys: [ci.publicPem] } } },
        { name: 'no-old-log4j', cel: '!sbom.packages.exists(p, p.name == "log4j-core" && p.version < "2.17.1")' },
      ],
      ...overrides,
    });
    const apply = async (doc: unknown) => {
      const r = await call(s.url, 'POST', '/api/v1/release-policies', { headers: admin, body: { document: doc } });
      assert.ok(r.status === 200 || r.status === 201, r.text);
      await s.services.releasePolicy.idle();
      return r.body;
    };
    const verdict = async (repo: string, digest: string) => (await s.services.store.verdicts.get(repo, digest as never))?.state;
    const why = async (repo: string, digest: string, auth = adminAuth()) => call(s.url, 'GET', `/api/v1/quarantine/why-held?repository=${encodeURIComponent(repo)}&digest=${digest}`, { headers: { authorization: auth } });
    const rule = (body: any, name: string) => body.evaluation.rules.find((r: any) => r.rule === name);
    const pushAs = async (repo: string, seed: string, tag: string) => {
      const authorization = await bearer(s, 'pusher', 'pusher-password', `repository:${repo}:pull,push`);
      return pushImage(s.url, repo, { seed, tag, headers: { authorization } });
    };
    const sign = async (img: PushedImage, key = ci, options: Parameters<typeof pushCosignSignature>[4] = {}) => {
      const authorization = await bearer(s, 'pusher', 'pusher-password', `repository:${img.repository}:pull,push`);
      await pushCosignSignature(s.url, img.repository, img.digest, key, { headers: { authorization }, subjectSize: img.size, ...options });
      await until('the signature re-evaluation', async () => (await s.services.releasePolicy.idle(), true));
      await s.services.releasePolicy.idle();
    };
    const scanned = (img: PushedImage) => until(`an evaluation of ${img.repository}`, async () => (await s.services.store.releaseEvaluations.get(img.repository, img.digest))?.rules.find((r) => r.rule === 'no-critical' && !r.pending));
    const pullAs = async (user: string, img: PushedImage, tag: string) => {
      const authorization = await bearer(s, user, `${user}-password`, `repository:${img.repository}:pull`);
      return call(s.url, 'GET', `/v2/${img.repository}/manifests/${tag}`, { headers: { authorization, accept: 'application/vnd.oci.image.manifest.v1+json' } });
    };

    before(async () => {
      s = await startTokenServer({ ...FAST, ...(backend === 'postgres' ? { databaseUrl: `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}schema=${schema}` } : {}) });
      adapter = await startTrivyLikeAdapter();
      receiver = await startReceiver();
      await createUser(s, 'pusher', 'pusher-password', [{ role: 'AcrPush' }]);
      await createUser(s, 'puller', 'puller-password', [{ role: 'AcrPull' }]);
      const r = await call(s.url, 'POST', '/api/v1/scanners', { headers: admin, body: { name: 'trivy', url: adapter.url, default: true } });
      assert.equal(r.status, 201, r.text);
      const hook = await call(s.url, 'PUT', '/api/v1/webhooks/policyevents', { headers: admin, body: { location: 'here', properties: { serviceUri: `${receiver.url}/hook`, actions: ['quarantine'], status: 'enabled', scope: '' } } });
      assert.equal(hook.status, 201, hook.text);
      await apply(policy());
    });
    after(async () => {
      await s?.close();
      await adapter?.close();
      await receiver?.close();
      if (backend === 'postgres') {
        await dropTestSchema(schema);
      }
    });

    test('team-a/* is gated, team-b/* is not (the registry-wide switch is off)', async () => {
      images.a = await pushAs('team-a/app', 'a1', 'v1');
      images.b = await pushAs('team-b/app', 'b1', 'v1');
      assert.equal((await pullAs('puller', images.b, 'v1')).status, 200, 'team-b is not gated');
      const held = await pullAs('puller', images.a, 'v1');
      assert.equal(held.status, 404, 'a held tag looks absent');
      assert.equal(held.body.errors[0].code, 'MANIFEST_UNKNOWN');
      assert.equal(await verdict('team-b/app', images.b.digest), undefined, 'no verdict where nothing governs');
    });

    test('a clean scan without a signature stays held: the signature rule says why (fail closed, not Failed)', async () => {
      const evaluation = await scanned(images.a);
      assert.ok(evaluation);
      assert.equal(await verdict('team-a/app', images.a.digest), 'Quarantined');
      const w = await why('team-a/app', images.a.digest);
      assert.equal(w.status, 200, w.text);
      assert.equal(w.body.held, true);
      assert.deepEqual(w.body.governedBy, { kind: 'release-policy', name: 'team-a', version: 1, pattern: 'team-a/*' });
      assert.equal(rule(w.body, 'no-critical').passed, true);
      assert.equal(rule(w.body, 'no-old-log4j').passed, true);
      const sig = rule(w.body, 'signed-by-ci');
      assert.equal(sig.passed, false);
      assert.equal(sig.pending, true);
      assert.match(sig.reason, /no cosign signature found/);
      assert.match(JSON.parse(w.body.quarantineDetails).state, /release policy team-a v1: held by signed-by-ci/);
    });

    test('signatures are verified, not counted: wrong key, tampered payload, another digest are refused', async () => {
      await sign(images.a, stranger);
      let r = rule((await why('team-a/app', images.a.digest)).body, 'signed-by-ci');
      assert.match(r.reason, /1 signature\(s\) found, 0 valid: .*no trusted key verifies it/);
      await sign(images.a, ci, { scheme: 'referrer', tamper: true });
      r = rule((await why('team-a/app', images.a.digest)).body, 'signed-by-ci');
      assert.match(r.reason, /2 signature\(s\) found, 0 valid/);
      const other = await pushAs('team-a/other', 'o1', 'v1');
      await sign(images.a, ci, { scheme: 'referrer', claims: other.digest });
      r = rule((await why('team-a/app', images.a.digest)).body, 'signed-by-ci');
      assert.match(r.reason, /3 signature\(s\) found, 0 valid: .*signs another image/);
      assert.equal(await verdict('team-a/app', images.a.digest), 'Quarantined');
      assert.equal((await pullAs('puller', images.a, 'v1')).status, 404);
    });

    const signaturesOf = async (img: PushedImage) => {
      const tagged = await s.services.store.tags.get(img.repository, `${img.digest.replace(':', '-')}.sig`);
      const referrers = (await s.services.store.manifests.referrers(img.repository, img.digest as never)).filter((m) => m.artifactType === 'application/vnd.dev.cosign.artifact.sig.v1+json');
      assert.ok(tagged && referrers.length > 0, 'both schemes were pushed');
      return [tagged.digest as string, ...referrers.map((m) => m.digest as string)];
    };
    const pullSignature = async (img: PushedImage, digest: string) => {
      const authorization = await bearer(s, 'puller', 'puller-password', `repository:${img.repository}:pull`);
      const byTag = await call(s.url, 'GET', `/v2/${img.repository}/manifests/${img.digest.replace(':', '-')}.sig`, { headers: { authorization, accept: 'application/vnd.oci.image.manifest.v1+json' } });
      const byDigest = await call(s.url, 'GET', `/v2/${img.repository}/manifests/${digest}`, { headers: { authorization, accept: 'application/vnd.oci.image.manifest.v1+json' } });
      return [byTag.status, byDigest.status];
    };

    test('a held image\'s signatures follow it: held from pull-only principals, and never sent to a scanner', async () => {
      for (const d of await signaturesOf(images.a)) {
        assert.equal(await verdict('team-a/app', d), 'Quarantined', `signature ${d} is held as its subject is`);
        const scans = await call(s.url, 'GET', `/api/v1/scans?digest=${d}`, { headers: admin });
        assert.equal(scans.status, 200, scans.text);
        assert.deepEqual(scans.body.scans, [], `no scan job for signature ${d}`);
      }
      const [sig] = await signaturesOf(images.a);
      assert.deepEqual(await pullSignature(images.a, sig!), [404, 403], 'the .sig tag looks absent, its digest is held');
    });

    test('a valid cosign signature releases it; the audit names the policy version that decided', async () => {
      await sign(images.a, ci);
      await until('Passed', async () => (await verdict('team-a/app', images.a.digest)) === 'Passed');
      assert.equal((await pullAs('puller', images.a, 'v1')).status, 200);
      const w = await why('team-a/app', images.a.digest);
      assert.equal(w.body.held, false);
      assert.match(rule(w.body, 'signed-by-ci').reason, /1 valid signature\(s\) by trusted keys/);
      const audit = await call(s.url, 'GET', `/api/v1/audit?action=verdict.change&target=team-a/app@${images.a.digest}`, { headers: admin });
      const released = audit.body.entries.find((e: any) => e.after.quarantineState === 'Passed');
      assert.equal(released.actor, 'policy:team-a');
      assert.match(released.details, /decided by release policy team-a v1 \(signature attached\)/);
    });

    test('its signatures are released with it (the same transaction), audited as following their subject', async () => {
      const signatures = await signaturesOf(images.a);
      for (const d of signatures) assert.equal(await verdict('team-a/app', d), 'Passed', `signature ${d} follows its subject`);
      assert.deepEqual(await pullSignature(images.a, signatures[0]!), [200, 200]);
      const audit = await call(s.url, 'GET', `/api/v1/audit?action=verdict.change&target=team-a/app@${signatures.at(-1)}`, { headers: admin });
      const followed = audit.body.entries.find((e: any) => e.after.quarantineState === 'Passed');
      assert.equal(followed.actor, 'system');
      assert.match(followed.details, new RegExp(`follows its subject ${images.a.digest}`));
    });

    test('a Critical finding fails the image; an old log4j in the SBOM fails the CEL rule', async () => {
      const critical = await pushAs('team-a/crit', 'c1', 'v1');
      adapter.findings.set(critical.digest, [{ id: 'CVE-2021-44906', package: 'minimist', version: '1.2.5', fix_version: '1.2.6', severity: 'Critical' }]);
      const log4j = await pushAs('team-a/log4j', 'l1', 'v1');
      adapter.findings.set(log4j.digest, [{ id: 'CVE-2021-45105', package: 'log4j-core', version: '2.14.0', fix_version: '2.17.1', severity: 'Medium' }]);
      await s.services.store.transaction(async () => {}); // nothing: the push already queued both scans
      for (const img of [critical, log4j]) await sign(img, ci);
      await until('both Failed', async () => (await verdict('team-a/crit', critical.digest)) === 'Failed' && (await verdict('team-a/log4j', log4j.digest)) === 'Failed');
      const c = (await why('team-a/crit', critical.digest)).body;
      assert.match(rule(c, 'no-critical').reason, /1 Critical finding\(s\) above High: CVE-2021-44906 in minimist 1\.2\.5/);
      assert.match(JSON.parse(c.quarantineDetails).state, /failed no-critical/);
      const l = (await why('team-a/log4j', log4j.digest)).body;
      assert.equal(rule(l, 'no-critical').passed, true);
      assert.equal(rule(l, 'no-old-log4j').passed, false);
      assert.match(rule(l, 'no-old-log4j').reason, /^false: !sbom\.packages\.exists/);
      images.crit = critical;
    });

    test('a Failed image\'s signature is Failed with it: never pullable by a pull-only principal', async () => {
      const img = images.crit!;
      const sig = (await s.services.store.tags.get(img.repository, `${img.digest.replace(':', '-')}.sig`))!.digest;
      assert.equal(await verdict(img.repository, sig), 'Failed');
      assert.deepEqual(await pullSignature(img, sig), [404, 403]);
    });

    test('a signature whose cosign tag moved on still follows its subject: once the image Fails, the old one is not pullable by digest', async () => {
      const img = await pushAs('team-a/moved', 'mv1', 'v1');
      await sign(img, ci);
      await until('Passed', async () => (await verdict(img.repository, img.digest)) === 'Passed');
      const tag = `${img.digest.replace(':', '-')}.sig`;
      const old = (await s.services.store.tags.get(img.repository, tag))!.digest;
      // A new signature manifest takes the tag (cosign moves it with every signature; ECDSA
      // signatures differ each time, so the same key makes a new manifest).
      await sign(img, ci);
      const current = (await s.services.store.tags.get(img.repository, tag))!.digest;
      assert.notEqual(current, old, 'the tag moved to a new signature manifest');
      assert.equal(await verdict(img.repository, old), 'Passed');
      assert.deepEqual(await pullSignature(img, old), [200, 200]);
      // The image is Failed (a quarantine writer's verdict through the one verdict path).
      await createUser(s, 'qwriter', 'qwriter-password', [{ role: 'AcrQuarantineWriter' }]);
      const failed = await call(s.url, 'PATCH', `/acr/v1/${img.repository}/_manifests/${img.digest}`, { headers: { authorization: basicAuth('qwriter', 'qwriter-password') }, body: { quarantineState: 'Failed', quarantineDetails: '{"state":"found later"}' } });
      assert.equal(failed.status, 200, failed.text);
      for (const d of [current, old]) assert.equal(await verdict(img.repository, d), 'Failed', `signature ${d} follows its subject`);
      assert.deepEqual(await pullSignature(img, old), [404, 403], 'the old signature is held with its subject');
      const audit = await call(s.url, 'GET', `/api/v1/audit?action=verdict.change&target=${img.repository}@${old}`, { headers: admin });
      assert.match(audit.body.entries[0].details, /an earlier signature or attestation \(its cosign tag has moved on\) follows its subject/);
    });

    test('why held tells a principal without quarantine read nothing: the same 404 as a missing manifest', async () => {
      const puller = basicAuth('puller', 'puller-password');
      const held = await why('team-a/crit', images.crit!.digest, puller);
      const missing = await why('team-a/crit', `sha256:${'0'.repeat(64)}`, puller);
      assert.equal(held.status, 404);
      assert.equal(missing.status, 404);
      assert.equal(held.text.replace(images.crit!.digest, 'D'), missing.text.replace(`sha256:${'0'.repeat(64)}`, 'D'));
      const adminMissing = await why('team-a/crit', `sha256:${'0'.repeat(64)}`);
      assert.equal(adminMissing.text, missing.text, 'what a caller who may see gets for a missing one');
      const dry = await call(s.url, 'POST', '/api/v1/release-policies:evaluate', { headers: { authorization: puller }, body: { document: policy() } });
      assert.equal(dry.status, 403, 'the dry run lists images: configure only');
      const list = await call(s.url, 'GET', '/api/v1/release-policies', { headers: { authorization: puller } });
      assert.doesNotMatch(list.text, /sha256:|team-a\/crit/, 'policies name rules, never content');
    });

    test('dry run: what a stricter policy would do, with nothing changed', async () => {
      const stricter = policy({ rules: [{ name: 'no-medium', vulnerabilities: { maxSeverity: 'Low' } }] });
      // Let the background settle (the signature artifacts' own scans), so only the dry run could change anything.
      await until('no scans running', async () => (await s.services.store.scanJobs.list({ states: ['pending', 'submitted'], n: 10 })).length === 0);
      await s.services.releasePolicy.idle();
      const auditBefore = (await call(s.url, 'GET', '/api/v1/audit?n=500', { headers: admin })).body.entries.length;
      const verdictsBefore = await s.services.store.verdicts.listManifests({ states: ['absent', 'Quarantined', 'Passed', 'Failed'], n: 500 });
      const dry = await call(s.url, 'POST', '/api/v1/release-policies:evaluate', { headers: admin, body: { document: stricter } });
      assert.equal(dry.status, 200, dry.text);
      const byRepo = Object.fromEntries(dry.body.images.filter((i: any) => i.tags.includes('v1')).map((i: any) => [i.repository, i]));
      assert.equal(byRepo['team-a/app'].change, 'unchanged', 'clean and released: stays');
      assert.equal(byRepo['team-a/log4j'].change, 'unchanged', 'Failed stays Failed');
      assert.equal(byRepo['team-a/other'].change, 'release', 'the unsigned image would pass a policy without the signature rule');
      assert.ok(dry.body.wouldRelease >= 1);
      assert.equal(byRepo['team-b/app'], undefined, 'outside the patterns');
      assert.equal((await call(s.url, 'GET', '/api/v1/audit?n=500', { headers: admin })).body.entries.length, auditBefore, 'no audit entry');
      assert.deepEqual(await s.services.store.verdicts.listManifests({ states: ['absent', 'Quarantined', 'Passed', 'Failed'], n: 500 }), verdictsBefore, 'no verdict changed');
      assert.equal((await call(s.url, 'GET', '/api/v1/release-policies/team-a', { headers: admin })).body.version, 1);
    });

    test('the CLI: policy why shows each rule, policy test the dry run', async () => {
      const env = { LAZARET_REGISTRY: s.url, LAZARET_USERNAME: 'admin', LAZARET_PASSWORD: ADMIN_PASSWORD };
      const w = await lazaret(['policy', 'why', 'team-a/crit:v1'], env);
      assert.equal(w.code, 0, w.stderr);
      assert.match(w.stdout, /state:\s+Failed \(held\)/);
      assert.match(w.stdout, /governed by: release policy team-a v1 \(team-a\/\*\)/);
      assert.match(w.stdout, /FAIL {2}no-critical \(vulnerabilities\): 1 Critical finding/);
      assert.match(w.stdout, /pass {2}signed-by-ci \(signatures\)/);
      const dir = mkdtempSync(join(tmpdir(), 'lazaret-rpe-'));
      try {
        writeFileSync(join(dir, 'p.yaml'), `name: team-a\nrepositories: ["team-a/*"]\nrules:\n  - name: no-medium\n    vulnerabilities: { maxSeverity: Low }\n`);
        const t = await lazaret(['policy', 'test', '-f', join(dir, 'p.yaml'), '--repository', 'team-a/other'], env);
        assert.equal(t.code, 0, t.stderr);
        assert.match(t.stdout, /policy team-a would release 1, hold 0, fail 0, flag 0 released image\(s\); 0 unchanged/);
        assert.match(t.stdout, /team-a\/other\s+sha256:\S+\s+v1\s+Quarantined\s+release/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      const denied = await lazaret(['policy', 'why', 'team-a/crit:v1'], { ...env, LAZARET_USERNAME: 'puller', LAZARET_PASSWORD: 'puller-password' });
      assert.equal(denied.code, 1);
      assert.match(denied.stderr, /404 NOT_FOUND: no manifest team-a\/crit:v1/);
    });

    test('drift, notify: a stricter policy flags a released image, which stays released; a quarantine event names the rule', async () => {
      adapter.findings.set(images.a.digest, []);
      const released = images.a;
      // The released image has a High finding from a new scan: still fine under maxSeverity High.
      await apply(policy({ rules: [{ name: 'no-high', vulnerabilities: { maxSeverity: 'Medium', maxCount: { Low: 0 } } }] }));
      const w = (await why('team-a/app', released.digest)).body;
      assert.equal(w.quarantineState, 'Passed');
      assert.equal(w.evaluation.version, 2);
      assert.equal(w.evaluation.passed, true, 'a clean image passes the stricter policy too');
      // Now its findings change (a database update found something): a rescan, then the violation.
      adapter.findings.set(released.digest, [{ id: 'CVE-2024-0001', package: 'libfoo', version: '1.0', severity: 'High' }]);
      const scan = await call(s.url, 'POST', '/api/v1/scans', { headers: admin, body: { repository: 'team-a/app', digest: released.digest } });
      assert.equal(scan.status, 202, scan.text);
      const flagged = await until('the violation', async () => (await s.services.store.releaseEvaluations.get('team-a/app', released.digest))?.violatingSince);
      assert.ok(flagged);
      assert.equal(await verdict('team-a/app', released.digest), 'Passed', 'notify: never un-released');
      assert.equal((await pullAs('puller', released, 'v1')).status, 200);
      const events = await receiver.waitFor((r) => r.some((x) => x.json?.policy?.violation), 10_000, 'the violation event');
      const event = events.find((x) => x.json?.policy?.violation)!.json;
      assert.equal(event.action, 'quarantine');
      assert.equal(event.target.digest, released.digest);
      assert.equal(event.policy.onViolation, 'notify');
      assert.match(event.policy.failed[0].reason, /1 High finding\(s\) above Medium: CVE-2024-0001/);
      const audit = await call(s.url, 'GET', '/api/v1/audit?action=release-policy.violation', { headers: admin });
      assert.equal(audit.body.entries[0].target, `team-a/app@${released.digest}`);
    });

    test('drift, requarantine: back on hold only after the grace period, audited, with an event', async () => {
      const released = images.a;
      await apply(policy({ onViolation: 'requarantine', gracePeriod: '1h', rules: [{ name: 'no-high', vulnerabilities: { maxSeverity: 'Medium' } }] }));
      const e = await s.services.store.releaseEvaluations.get('team-a/app', released.digest);
      assert.ok(e?.requarantineAt, 'due after the grace period');
      assert.ok(Math.abs(e.requarantineAt.getTime() - Date.now() - 3_600_000) < 60_000);
      assert.deepEqual(await s.services.releasePolicy.sweep(new Date(Date.now() + 30 * 60_000)), { requarantined: 0, expired: 0 }, 'not yet');
      assert.equal(await verdict('team-a/app', released.digest), 'Passed');
      const swept = await s.services.releasePolicy.sweep(new Date(Date.now() + 2 * 3_600_000));
      assert.equal(swept.requarantined, 1);
      assert.equal(await verdict('team-a/app', released.digest), 'Quarantined');
      assert.equal((await pullAs('puller', released, 'v1')).status, 404);
      const audit = await call(s.url, 'GET', `/api/v1/audit?action=verdict.change&target=team-a/app@${released.digest}`, { headers: admin });
      assert.match(audit.body.entries[0].details, /requarantined by release policy team-a v3/);
      await receiver.waitFor((r) => r.some((x) => x.json?.action === 'quarantine' && x.json.target.digest === released.digest && !x.json.policy), 10_000, 'the requarantine event');
    });
  });
}
