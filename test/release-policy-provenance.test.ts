/**
 * The provenance rule end to end over real HTTP (docs/release-policy.md "Provenance"): SLSA
 * provenance attestations built here (v1 and v0.2 predicates), in DSSE envelopes signed with
 * keys generated here, pushed under cosign's `.att` tag or as OCI 1.1 referrers. Present and
 * signed by the trusted key with the right builder and source: released. Absent, unsigned,
 * signed by another key, tampered, or about another image: held (pending), and why-held says
 * which. Signed but naming another builder or source: Failed. The CEL input's `attestations`.
 * On SQLite and PostgreSQL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { TestServer } from './helpers/server.ts';
import { adminAuth, bearer, createUser, startTokenServer } from './helpers/identities.ts';
import { call, pushImage, type PushedImage } from './helpers/quarantine-fixtures.ts';
import { cosignKey } from './helpers/release-policy.ts';
import { pushAttestation, slsaV02, slsaV1, SLSA_V02, type AttestOptions } from './helpers/attestations.ts';
import { dropTestSchema, postgresReachable, skipUnless, TEST_DATABASE_URL } from './helpers/environment.ts';

const BUILDER = 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_container_slsa3.yml@refs/tags/v2.0.0';
const SOURCE = 'https://github.com/example/app';
const pgUp = await postgresReachable();

for (const backend of ['sqlite', 'postgres'] as const) describe(`provenance rule on real attestations (${backend})`, { skip: backend === 'postgres' ? skipUnless(pgUp, `PostgreSQL not reachable at ${TEST_DATABASE_URL}`) : false }, () => {
  const schema = `lazaret_prov_${randomBytes(5).toString('hex')}`;
  let s: TestServer;
  const admin = { authorization: adminAuth() };
  const ci = cosignKey();
  const stranger = cosignKey();
  const headers = async (repo: string) => ({ authorization: await bearer(s, 'pusher', 'pusher-password', `repository:${repo}:pull,push`) });
  const verdict = async (img: PushedImage) => (await s.services.store.verdicts.get(img.repository, img.digest as never))?.state;
  const rule = async (img: PushedImage, name = 'built-by-ci') => {
    const r = await call(s.url, 'GET', `/api/v1/quarantine/why-held?repository=${encodeURIComponent(img.repository)}&digest=${img.digest}`, { headers: admin });
    assert.equal(r.status, 200, r.text);
    return r.body.evaluation.rules.find((x: any) => x.rule === name);
  };
  const image = async (repo: string, seed: string) => pushImage(s.url, repo, { seed, tag: 'v1', headers: await headers(repo) });
  const attest = async (img: PushedImage, predicate: unknown, key = ci, options: AttestOptions = {}) => {
    const digest = await pushAttestation(s.url, img.repository, img.digest, predicate, key, { headers: await headers(img.repository), subjectSize: img.size, ...options });
    await s.services.releasePolicy.idle();
    await s.services.releasePolicy.idle();
    return digest;
  };

  before(async () => {
    s = await startTokenServer({ 'scanner.builtin': false, ...(backend === 'postgres' ? { databaseUrl: `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}schema=${schema}` } : {}) });
    await createUser(s, 'pusher', 'pusher-password', [{ role: 'AcrPush' }]);
    const rules = [{ name: 'built-by-ci', provenance: { cosign: { keys: [ci.publicPem] }, builderId: 'https://github.com/slsa-framework/slsa-github-generator/*', sourceRepository: SOURCE } }];
    for (const doc of [
      { name: 'prov', repositories: ['prov/*'], rules },
      { name: 'prov-cel', repositories: ['prov-cel/*'], rules: [{ name: 'cel-provenance', cel: `attestations.exists(a, a.verified && a.predicateType == "https://slsa.dev/provenance/v1" && a.sourceRepositories.exists(r, r.startsWith("${SOURCE}")))` }] },
    ]) {
      const r = await call(s.url, 'POST', '/api/v1/release-policies', { headers: admin, body: { document: doc } });
      assert.equal(r.status, 201, r.text);
      assert.deepEqual(r.body.warnings ?? [], []);
    }
  });
  after(async () => {
    await s?.close();
    if (backend === 'postgres') await dropTestSchema(schema);
  });

  test('the policy says the rule in words', async () => {
    const p = await call(s.url, 'GET', '/api/v1/release-policies/prov', { headers: admin });
    assert.equal(p.body.rules[0].kind, 'provenance');
    assert.equal(p.body.rules[0].text, `an SLSA provenance attestation signed by 1 trusted key(s), built by https://github.com/slsa-framework/slsa-github-generator/* from ${SOURCE}`);
  });

  test('absent: held, and why-held says no provenance is attached', async () => {
    const img = await image('prov/absent', 'prov-absent');
    await s.services.releasePolicy.evaluateOne(img.repository, img.digest, 'test');
    assert.equal(await verdict(img), 'Quarantined');
    const r = await rule(img);
    assert.equal(r.pending, true);
    assert.match(r.reason, /needs a signed SLSA provenance attestation by a trusted key: no SLSA provenance attestation attached/);
  });

  test('SLSA v1 as an OCI 1.1 referrer, signed by the trusted key, right builder and source: released', async () => {
    const img = await image('prov/v1', 'prov-v1');
    const att = await attest(img, slsaV1(BUILDER, SOURCE), ci, { scheme: 'referrer' });
    assert.equal(await verdict(img), 'Passed');
    const r = await rule(img);
    assert.equal(r.passed, true);
    assert.match(r.reason, new RegExp(`signed SLSA provenance \\(https://slsa.dev/provenance/v1\\) built by ${BUILDER.replace(/[.?/]/g, '\\$&')} from ${SOURCE.replace(/[./]/g, '\\$&')}`));
    assert.equal(r.evidence.verified[0].attestation, att);
    const audit = await call(s.url, 'GET', `/api/v1/audit?action=verdict.change&target=prov/v1@${img.digest}`, { headers: admin });
    assert.match(audit.body.entries.find((e: any) => e.after.quarantineState === 'Passed').details, /decided by release policy prov v1 \(attestation attached\)/);
  });

  test('SLSA v0.2 under the .att tag (the source from invocation.configSource.uri): released', async () => {
    const img = await image('prov/v02', 'prov-v02');
    await attest(img, slsaV02(BUILDER, `${SOURCE}.git`), ci, { predicateType: SLSA_V02 });
    assert.equal(await verdict(img), 'Passed');
    assert.equal((await rule(img)).evidence.verified[0].predicateType, SLSA_V02);
  });

  test('unsigned, signed by another key, tampered: held, and why-held names each', async () => {
    const img = await image('prov/unsigned', 'prov-unsigned');
    await attest(img, slsaV1(BUILDER, SOURCE), ci, { scheme: 'referrer', unsigned: true });
    await attest(img, slsaV1(BUILDER, SOURCE), stranger, { scheme: 'referrer' });
    await attest(img, slsaV1(BUILDER, SOURCE), ci, { tamper: true });
    assert.equal(await verdict(img), 'Quarantined');
    const r = await rule(img);
    assert.equal(r.pending, true);
    assert.equal(r.evidence.found, 3);
    assert.match(r.reason, /3 attestation\(s\) found, none verified/);
    const refused = r.evidence.refused.join(' | ');
    assert.match(refused, /: not signed/);
    assert.equal(refused.match(/no trusted key verifies it \(wrong key or altered payload\)/g)?.length, 2, refused);
  });

  test('signed by the trusted key but about another image: held', async () => {
    const img = await image('prov/other', 'prov-other');
    const other = await image('prov/other', 'prov-other-2');
    await attest(img, slsaV1(BUILDER, SOURCE), ci, { scheme: 'referrer', about: other.digest });
    assert.equal(await verdict(img), 'Quarantined');
    assert.match((await rule(img)).reason, /it is about another image \(sha256:/);
  });

  test('signed, but built by another builder or from another repository: Failed, naming what it says', async () => {
    const img = await image('prov/builder', 'prov-builder');
    await attest(img, slsaV1('https://ci.attacker.example/builder', SOURCE), ci, { scheme: 'referrer' });
    assert.equal(await verdict(img), 'Failed');
    const r = await rule(img);
    assert.equal(r.pending, undefined);
    assert.match(r.reason, /signed provenance contradicts the rule: .* built by https:\/\/ci\.attacker\.example\/builder, not https:\/\/github\.com\/slsa-framework\/slsa-github-generator\/\*/);

    const src = await image('prov/source', 'prov-source');
    await attest(src, slsaV1(BUILDER, 'https://github.com/attacker/fork'), ci, { scheme: 'referrer' });
    assert.equal(await verdict(src), 'Failed');
    assert.match((await rule(src)).reason, /built from https:\/\/github\.com\/attacker\/fork, git\+https:\/\/github\.com\/attacker\/fork@refs\/heads\/main, not https:\/\/github\.com\/example\/app/);
  });

  test('CEL sees attestations: verified ones with their builder and source only', async () => {
    const img = await image('prov-cel/app', 'prov-cel');
    await attest(img, slsaV1(BUILDER, SOURCE), stranger, { scheme: 'referrer' });
    assert.equal(await verdict(img), 'Failed', 'the stranger\'s statement is not verified: the expression is false');
    // The policy trusts no attestation key at all; one that verifies needs a key it lists.
    const r = await call(s.url, 'PUT', '/api/v1/release-policies/prov-cel', { headers: admin, body: { document: { name: 'prov-cel', repositories: ['prov-cel/*'], rules: [
      { name: 'cel-provenance', cel: `attestations.exists(a, a.verified && a.predicateType == "https://slsa.dev/provenance/v1" && a.builderId == "${BUILDER}" && a.sourceRepositories.exists(r, r.startsWith("${SOURCE}")))` },
      { name: 'trust', provenance: { required: false, cosign: { keys: [ci.publicPem] } } },
    ] } } });
    assert.equal(r.status, 200, r.text);
    await s.services.releasePolicy.idle();
    await attest(img, slsaV1(BUILDER, SOURCE), ci, { scheme: 'referrer' });
    assert.equal(await verdict(img), 'Passed');
  });
});
