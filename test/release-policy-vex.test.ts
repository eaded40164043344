/**
 * OpenVEX statements under a release policy, end to end over real HTTP: a vulnerable image
 * (a Critical finding from the Trivy-like adapter) is Failed by the vulnerabilities rule; an
 * OpenVEX document built here, pushed as a referrer of the image and cosign-signed (a key
 * generated here) by the author the policy trusts, releases it, and "why held" names the
 * statement. Signed by another key, unsigned, `affected` / `under_investigation`, or about
 * another product, it releases nothing. The same document as an in-toto attestation
 * (`cosign attest --type openvex`, a DSSE envelope signed here) counts when the trusted key
 * signed it, and the CEL input's `vex` lists the trusted statements. A keyless signer (cosign's
 * `.sig` layer with a certificate from a test Sigstore) counts when the rule's `vex.keyless`
 * trusts its root and identity. On SQLite and PostgreSQL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from './helpers/server.ts';
import { adminAuth, bearer, createUser, startTokenServer } from './helpers/identities.ts';
import { call, pushImage, putManifest, sha256, uploadBlob, type PushedImage } from './helpers/quarantine-fixtures.ts';
import { startTrivyLikeAdapter, type TrivyLikeAdapter } from './helpers/trivy-like-adapter.ts';
import { cosignKey, pushCosignSignature, type SigningKey } from './helpers/release-policy.ts';
import { until } from './helpers/until.ts';
import { pushAttestation } from './helpers/attestations.ts';
import { randomBytes } from 'node:crypto';
import { dropTestSchema, postgresReachable, skipUnless, TEST_DATABASE_URL } from './helpers/environment.ts';
import { testSigstore, type TestSigstore } from './helpers/pki.ts';
import { pushLegacyKeyless } from './helpers/keyless.ts';

const FAST = { 'scanner.firstPollMs': 50, 'scanner.defaultRefreshMs': 100, 'scanner.pollIntervalMs': 50, 'scanner.healthIntervalSeconds': 1, 'scanner.requestTimeoutSeconds': 2 };
const CVE = 'CVE-2021-44906';
const MINIMIST = { id: CVE, package: 'minimist', version: '1.2.5', fix_version: '1.2.6', severity: 'Critical' };

/** An OpenVEX v0.2.0 document with one statement about `product`. */
function openVex(product: string, status: string, options: { id?: string; justification?: string; vulnerability?: unknown; subcomponent?: string } = {}) {
  return {
    '@context': 'https://openvex.dev/ns/v0.2.0',
    '@id': options.id ?? `https://vendor.example/vex/${status}-${product.slice(-8)}`,
    author: 'Example Vendor Security <security@vendor.example>',
    timestamp: '2026-11-30T10:00:00Z',
    version: 1,
    statements: [
      {
        vulnerability: options.vulnerability ?? { name: CVE },
        products: [{ '@id': product, ...(options.subcomponent ? { subcomponents: [{ '@id': options.subcomponent }] } : {}) }],
        status,
        ...(status === 'not_affected' ? { justification: options.justification ?? 'vulnerable_code_not_in_execute_path' } : {}),
        ...(status === 'affected' ? { action_statement: 'upgrade minimist' } : {}),
      },
    ],
  };
}

const pgUp = await postgresReachable();
const VEX_SIGNER = 'https://github.com/vendor/vex/.github/workflows/publish.yml@refs/heads/main';
const OIDC_ISSUER = 'https://token.actions.githubusercontent.com';
const ociPurl = (img: PushedImage) => `pkg:oci/${img.repository.split('/').pop()}@${encodeURIComponent(img.digest)}?repository_url=registry.test/${img.repository}`;

for (const backend of ['sqlite', 'postgres'] as const) describe(`OpenVEX statements from trusted authors except findings (${backend})`, { skip: backend === 'postgres' ? skipUnless(pgUp, `PostgreSQL not reachable at ${TEST_DATABASE_URL}`) : false }, () => {
  const schema = `lazaret_vex_${randomBytes(5).toString('hex')}`;
  let s: TestServer;
  let adapter: TrivyLikeAdapter;
  const admin = { authorization: adminAuth() };
  const vendor = cosignKey();
  const stranger = cosignKey();
  let sigstore: TestSigstore;
  let otherSigstore: TestSigstore;
  const push = async (repo: string) => ({ authorization: await bearer(s, 'pusher', 'pusher-password', `repository:${repo}:pull,push`) });
  const verdict = async (img: PushedImage) => (await s.services.store.verdicts.get(img.repository, img.digest as never))?.state;
  const why = async (img: PushedImage) => (await call(s.url, 'GET', `/api/v1/quarantine/why-held?repository=${encodeURIComponent(img.repository)}&digest=${img.digest}`, { headers: admin })).body;
  const rule = (body: any) => body.evaluation.rules.find((r: any) => r.rule === 'no-critical');

  /** A vulnerable image, scanned and Failed by the policy. */
  async function failedImage(repo: string, seed: string): Promise<PushedImage> {
    const img = await pushImage(s.url, repo, { seed, tag: 'v1', headers: await push(repo) });
    adapter.findings.set(img.digest, [MINIMIST]);
    await until(`${repo} Failed`, async () => (await verdict(img)) === 'Failed');
    return img;
  }

  /** Pushes a VEX document as a referrer of `img`, signed by `key` (none: unsigned); waits for the re-evaluations. */
  async function attachVex(img: PushedImage, doc: unknown, key: SigningKey | undefined, scheme: 'referrer' | 'tag' = 'referrer'): Promise<string> {
    const h = await push(img.repository);
    const bytes = JSON.stringify(doc);
    const layer = await uploadBlob(s.url, img.repository, bytes, h);
    const config = await uploadBlob(s.url, img.repository, '{}', h);
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.openvex+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: config, size: 2 },
      layers: [{ mediaType: 'application/vnd.openvex+json', digest: layer, size: Buffer.byteLength(bytes) }],
      subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: img.digest, size: img.size },
    });
    const digest = sha256(body);
    await putManifest(s.url, img.repository, digest, body, 'application/vnd.oci.image.manifest.v1+json', h);
    await s.services.releasePolicy.idle();
    if (key) {
      await pushCosignSignature(s.url, img.repository, digest, key, { scheme, headers: h, subjectSize: Buffer.byteLength(body) });
      await until('the re-evaluation', async () => (await s.services.releasePolicy.idle(), true));
      await s.services.releasePolicy.idle();
    }
    return digest;
  }

  before(async () => {
    s = await startTokenServer({ ...FAST, ...(backend === 'postgres' ? { databaseUrl: `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}schema=${schema}` } : {}) });
    adapter = await startTrivyLikeAdapter();
    await createUser(s, 'pusher', 'pusher-password', [{ role: 'AcrPush' }]);
    const r = await call(s.url, 'POST', '/api/v1/scanners', { headers: admin, body: { name: 'trivy', url: adapter.url, default: true } });
    assert.equal(r.status, 201, r.text);
    const applied = await call(s.url, 'POST', '/api/v1/release-policies', {
      headers: admin,
      body: { document: { name: 'team-v', repositories: ['team-v/*'], rules: [{ name: 'no-critical', vulnerabilities: { maxSeverity: 'High', vex: { cosign: { keys: [vendor.publicPem] } } } }] } },
    });
    assert.equal(applied.status, 201, applied.text);
    assert.deepEqual(applied.body.warnings ?? [], []);
    const cel = await call(s.url, 'POST', '/api/v1/release-policies', {
      headers: admin,
      body: { document: { name: 'team-vc', repositories: ['team-vc/*'], rules: [
        { name: 'trusts-vendor', vulnerabilities: { maxSeverity: 'Critical', vex: { cosign: { keys: [vendor.publicPem] } } } },
        { name: 'vendor-says-not-affected', cel: `vex.exists(v, "${CVE}" in v.vulnerabilities && v.status == "not_affected" && v.author.startsWith("Example Vendor"))` },
      ] } },
    });
    assert.equal(cel.status, 201, cel.text);
    sigstore = testSigstore('vex-trusted');
    otherSigstore = testSigstore('vex-other');
    const keyless = await call(s.url, 'POST', '/api/v1/release-policies', {
      headers: admin,
      body: { document: { name: 'team-vk', repositories: ['team-vk/*'], rules: [{ name: 'no-critical', vulnerabilities: { maxSeverity: 'High', vex: { keyless: { trustedRoot: sigstore.trustedRoot, tlog: 0, sct: 0, identities: [{ subject: VEX_SIGNER, issuer: OIDC_ISSUER }] } } } }] } },
    });
    assert.equal(keyless.status, 201, keyless.text);
  });
  after(async () => {
    await s?.close();
    await adapter?.close();
    if (backend === 'postgres') await dropTestSchema(schema);
  });

  test('an OpenVEX document written into the policy: about the repository (no signature needed), applied at once, taken back by the next version', async () => {
    const repoPurl = 'pkg:oci/app?repository_url=registry.test/team-vp/app';
    const policy = (status: string) => ({ name: 'team-vp', repositories: ['team-vp/*'], rules: [{ name: 'no-critical', vulnerabilities: { maxSeverity: 'High', vex: { documents: [openVex(repoPurl, status, { id: 'https://platform.example/vex/minimist' })] } } }] });
    // Version 1's document says `affected`: the image fails.
    assert.equal((await call(s.url, 'POST', '/api/v1/release-policies', { headers: admin, body: { document: policy('affected') } })).status, 201);
    const img = await failedImage('team-vp/app', 'vex-policy');
    // Version 2 says `not_affected`: applying it re-evaluates the failed image.
    const applied = await call(s.url, 'PUT', '/api/v1/release-policies/team-vp', { headers: admin, body: { document: policy('not_affected') } });
    assert.equal(applied.status, 200, applied.text);
    await until('Passed by the policy\'s own VEX', async () => (await verdict(img)) === 'Passed');
    const r = rule(await why(img));
    assert.equal(r.evidence.vex[0].referrer, 'policy');
    assert.equal(r.evidence.vex[0].document, 'https://platform.example/vex/minimist');
    assert.match((await call(s.url, 'GET', '/api/v1/release-policies/team-vp', { headers: admin })).body.rules[0].text, /statements of 1 document\(s\) in the policy honoured/);
    // Another repository under the same policy is not the product the statement names.
    const other = await failedImage('team-vp/other', 'vex-policy-other');
    assert.equal(rule(await why(other)).passed, false);
    // Version 3 says `affected` again and takes the exception back (notify: flagged, stays released).
    assert.equal((await call(s.url, 'PUT', '/api/v1/release-policies/team-vp', { headers: admin, body: { document: policy('affected') } })).status, 200);
    await until('the evaluation fails again', async () => (await s.services.releasePolicy.idle(), (await s.services.store.releaseEvaluations.get(img.repository, img.digest))?.passed === false));
    // A status the schema does not know is refused, naming the field; the stored version stays.
    const bad = await call(s.url, 'PUT', '/api/v1/release-policies/team-vp', { headers: admin, body: { document: policy('not-affected') } });
    assert.equal(bad.status, 400, bad.text);
    assert.match(bad.text, /rules\[0\]\.vulnerabilities\.vex\.documents\[0\]\.statements\[0\]\.status/);
    assert.equal((await call(s.url, 'GET', '/api/v1/release-policies/team-vp', { headers: admin })).body.version, 3);
  });

  test('the policy says in words which VEX it honours', async () => {
    const p = await call(s.url, 'GET', '/api/v1/release-policies/team-v', { headers: admin });
    assert.match(p.body.rules[0].text, /OpenVEX not_affected\/fixed statements honoured when signed by 1 trusted key\(s\)/);
  });

  test('not_affected for this image (its purl), signed by the trusted key: released, and why-held names the statement', async () => {
    const img = await failedImage('team-v/app', 'vex-1');
    const vex = await attachVex(img, openVex(ociPurl(img), 'not_affected', { id: 'https://vendor.example/vex/2026-001' }), vendor);
    await until('Passed', async () => (await verdict(img)) === 'Passed');
    const r = rule(await why(img));
    assert.equal(r.passed, true);
    assert.match(r.reason, /1 finding\(s\) excepted by VEX: CVE-2021-44906 in minimist 1\.2\.5: not_affected \(vulnerable_code_not_in_execute_path\) by Example Vendor Security <security@vendor\.example>, https:\/\/vendor\.example\/vex\/2026-001 statement 0/);
    assert.deepEqual(r.evidence.vex, [{ finding: 'CVE-2021-44906 in minimist 1.2.5', status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', author: 'Example Vendor Security <security@vendor.example>', document: 'https://vendor.example/vex/2026-001', statement: 0, referrer: vex }]);
    const audit = await call(s.url, 'GET', `/api/v1/audit?action=verdict.change&target=team-v/app@${img.digest}`, { headers: admin });
    const released = audit.body.entries.find((e: any) => e.after.quarantineState === 'Passed');
    assert.match(released.details, /decided by release policy team-v v1 \(VEX document signed\)/);
  });

  test('fixed, the image named by digest, signed in the tag scheme: released too', async () => {
    const img = await failedImage('team-v/fixed', 'vex-2');
    await attachVex(img, openVex(img.digest, 'fixed', { vulnerability: CVE }), vendor, 'tag');
    await until('Passed', async () => (await verdict(img)) === 'Passed');
    assert.equal(rule(await why(img)).evidence.vex[0].status, 'fixed');
  });

  test('signed by a key the policy does not list, or not signed: nothing excepted, and why says so', async () => {
    const img = await failedImage('team-v/stranger', 'vex-3');
    await attachVex(img, openVex(img.digest, 'not_affected'), stranger);
    await attachVex(img, openVex(img.digest, 'not_affected', { id: 'https://vendor.example/vex/unsigned' }), undefined);
    await s.services.releasePolicy.evaluateOne(img.repository, img.digest, 'test');
    assert.equal(await verdict(img), 'Failed');
    const r = rule(await why(img));
    assert.equal(r.passed, false);
    assert.equal(r.evidence.vex, undefined);
    assert.equal(r.evidence.vexIgnored.length, 2);
    assert.ok(r.evidence.vexIgnored.some((x: string) => /not signed by a trusted key or identity \(no trusted key verifies it/.test(x)), r.evidence.vexIgnored.join(' | '));
    assert.ok(r.evidence.vexIgnored.some((x: string) => /: not signed$/.test(x)), r.evidence.vexIgnored.join(' | '));
  });

  test('affected or under_investigation from the trusted author: nothing excepted', async () => {
    const img = await failedImage('team-v/affected', 'vex-4');
    await attachVex(img, openVex(img.digest, 'affected'), vendor);
    await attachVex(img, openVex(ociPurl(img), 'under_investigation'), vendor);
    assert.equal(await verdict(img), 'Failed');
    assert.match(rule(await why(img)).reason, /1 Critical finding\(s\) above High: CVE-2021-44906 in minimist 1\.2\.5/);
  });

  test('a newer affected statement takes back an older not_affected one', async () => {
    const img = await failedImage('team-v/revoked', 'vex-5');
    const older = openVex(img.digest, 'not_affected');
    const newer = { ...openVex(img.digest, 'affected', { id: 'https://vendor.example/vex/2026-002' }), timestamp: '2026-12-01T10:00:00Z' };
    await attachVex(img, { ...older, statements: [...older.statements, ...newer.statements.map((st) => ({ ...st, timestamp: newer.timestamp }))] }, vendor);
    assert.equal(await verdict(img), 'Failed');
  });

  test('a statement about another product (another image, another package) excepts nothing here', async () => {
    const img = await failedImage('team-v/other', 'vex-6');
    const elsewhere = await pushImage(s.url, 'team-v/elsewhere', { seed: 'vex-6b', headers: await push('team-v/elsewhere') });
    await attachVex(img, openVex(elsewhere.digest, 'not_affected'), vendor);
    await attachVex(img, openVex(img.digest, 'not_affected', { id: 'https://vendor.example/vex/other-pkg', subcomponent: 'pkg:npm/left-pad@1.3.0' }), vendor);
    assert.equal(await verdict(img), 'Failed');
    // The same statement limited to the package that has the finding does except it.
    await attachVex(img, openVex(img.digest, 'not_affected', { id: 'https://vendor.example/vex/minimist', subcomponent: 'pkg:npm/minimist@1.2.5' }), vendor);
    await until('Passed', async () => (await verdict(img)) === 'Passed');
  });
  /** Pushes `doc` as an OpenVEX in-toto attestation of `img` signed by `key` (cosign attest --type openvex). */
  async function attestVex(img: PushedImage, doc: unknown, key: SigningKey, options: { scheme?: 'tag' | 'referrer'; unsigned?: boolean } = {}) {
    const digest = await pushAttestation(s.url, img.repository, img.digest, doc, key, { predicateType: 'https://openvex.dev/ns/v0.2.0', scheme: options.scheme ?? 'tag', headers: await push(img.repository), subjectSize: img.size, ...(options.unsigned ? { unsigned: true } : {}) });
    await s.services.releasePolicy.idle();
    await s.services.releasePolicy.idle();
    return digest;
  }

  test('VEX as an in-toto attestation signed by the trusted key (under .att): released; a statement without products is about the subject', async () => {
    const img = await failedImage('team-v/attested', 'vex-att-1');
    const { products: _p, ...statement } = openVex(img.digest, 'not_affected').statements[0]!;
    const att = await attestVex(img, { ...openVex(img.digest, 'not_affected', { id: 'https://vendor.example/vex/attested' }), statements: [statement] }, vendor);
    await until('Passed', async () => (await verdict(img)) === 'Passed');
    const r = rule(await why(img));
    assert.equal(r.evidence.vex[0].document, 'https://vendor.example/vex/attested');
    assert.equal(r.evidence.vex[0].referrer, att);
    const audit = await call(s.url, 'GET', `/api/v1/audit?action=verdict.change&target=team-v/attested@${img.digest}`, { headers: admin });
    assert.match(audit.body.entries.find((e: any) => e.after.quarantineState === 'Passed').details, /\(attestation attached\)/);
  });

  test('VEX attestations signed by another key, unsigned, or about another image: nothing excepted, and why says so', async () => {
    const img = await failedImage('team-v/attested-bad', 'vex-att-2');
    const other = await pushImage(s.url, 'team-v/attested-bad', { seed: 'vex-att-2b', headers: await push('team-v/attested-bad') });
    await attestVex(img, openVex(img.digest, 'not_affected'), stranger, { scheme: 'referrer' });
    await attestVex(img, openVex(img.digest, 'not_affected'), vendor, { scheme: 'referrer', unsigned: true });
    const h = await push(img.repository);
    await pushAttestation(s.url, img.repository, img.digest, openVex(img.digest, 'not_affected'), vendor, { predicateType: 'https://openvex.dev/ns', scheme: 'referrer', about: other.digest, headers: h, subjectSize: img.size });
    await s.services.releasePolicy.idle();
    await s.services.releasePolicy.evaluateOne(img.repository, img.digest, 'test');
    assert.equal(await verdict(img), 'Failed');
    const ignored = rule(await why(img)).evidence.vexIgnored.join(' | ');
    assert.match(ignored, /not trusted \(no trusted key verifies it/);
    assert.match(ignored, /: not signed/);
    assert.match(ignored, /not trusted \(it is about another image/);
  });

  test('CEL sees the trusted VEX statements as `vex` (attested and signed referrers), not the untrusted ones', async () => {
    const img = await pushImage(s.url, 'team-vc/app', { seed: 'vex-cel', tag: 'v1', headers: await push('team-vc/app') });
    await until('Failed by the expression', async () => (await verdict(img)) === 'Failed');
    await attestVex(img, openVex(img.digest, 'not_affected'), stranger);
    assert.equal(await verdict(img), 'Failed', 'a stranger\'s statement is not in `vex`');
    await attestVex(img, openVex(img.digest, 'not_affected'), vendor);
    await until('Passed', async () => (await verdict(img)) === 'Passed');
    const img2 = await pushImage(s.url, 'team-vc/ref', { seed: 'vex-cel-2', tag: 'v1', headers: await push('team-vc/ref') });
    await until('Failed by the expression', async () => (await verdict(img2)) === 'Failed');
    await attachVex(img2, openVex(img2.digest, 'not_affected'), vendor);
    await until('Passed', async () => (await verdict(img2)) === 'Passed');
  });

  test('a VEX document signed keyless (a certificate for a trusted identity, cosign\'s .sig layer): released; another root or identity: nothing excepted', async () => {
    const img = await failedImage('team-vk/app', 'vex-keyless');
    const vexDigest = await attachVex(img, openVex(img.digest, 'not_affected', { id: 'https://vendor.example/vex/keyless' }), undefined);
    const vexArtifact = { ...img, digest: vexDigest };
    const signWith = async (world: TestSigstore, identity: string) => {
      await pushLegacyKeyless(s.url, world, world.leaf(identity, OIDC_ISSUER), vexArtifact, { headers: await push(img.repository) });
      await s.services.releasePolicy.idle();
      await s.services.releasePolicy.evaluateOne(img.repository, img.digest, 'test');
    };
    // The right identity, but a certificate (and timestamp) from a Sigstore the rule does not trust.
    await signWith(otherSigstore, VEX_SIGNER);
    assert.equal(await verdict(img), 'Failed');
    assert.match(rule(await why(img)).evidence.vexIgnored.join(' | '), /not signed by a trusted key or identity \((no trusted signing time|the certificate does not chain)/);
    // The trusted Sigstore, another identity.
    await signWith(sigstore, 'https://github.com/someone/else/.github/workflows/x.yml@refs/heads/main');
    assert.equal(await verdict(img), 'Failed');
    assert.match(rule(await why(img)).evidence.vexIgnored.join(' | '), /is not one the rule trusts/);
    // The trusted identity from the trusted root: the statement counts.
    await signWith(sigstore, VEX_SIGNER);
    await until('Passed', async () => (await verdict(img)) === 'Passed');
    const r = rule(await why(img));
    assert.equal(r.evidence.vex[0].document, 'https://vendor.example/vex/keyless');
    assert.equal(r.evidence.vex[0].referrer, vexDigest);
    assert.match((await call(s.url, 'GET', '/api/v1/release-policies/team-vk', { headers: admin })).body.rules[0].text, /signed by keyless identities \(https:\/\/github\.com\/vendor\/vex\//);
  });

  test('a keyless part of vex is checked at apply like a signatures rule\'s: the field is named, the stored version stays', async () => {
    const doc = (keyless: unknown) => ({ document: { name: 'team-vk', repositories: ['team-vk/*'], rules: [{ name: 'no-critical', vulnerabilities: { maxSeverity: 'High', vex: { keyless } } }] } });
    for (const [keyless, field] of [
      [{ trustedRoot: 'not json', tlog: 0, sct: 0, identities: [{ subject: VEX_SIGNER, issuer: OIDC_ISSUER }] }, 'rules[0].vulnerabilities.vex.keyless.trustedRoot'],
      [{ trustedRoot: sigstore.trustedRoot, identities: [{ subject: VEX_SIGNER }] }, 'rules[0].vulnerabilities.vex.keyless.identities[0]'],
      [{ trustedRoot: sigstore.trustedRoot, identities: [{ subjectRegExp: '^(a+)+$', issuer: OIDC_ISSUER }] }, 'rules[0].vulnerabilities.vex.keyless.identities[0].subjectRegExp'],
    ] as const) {
      const r = await call(s.url, 'PUT', '/api/v1/release-policies/team-vk', { headers: admin, body: doc(keyless) });
      assert.equal(r.status, 400, r.text);
      assert.ok(r.text.includes(field), `${field}: ${r.text}`);
    }
    assert.equal((await call(s.url, 'GET', '/api/v1/release-policies/team-vk', { headers: admin })).body.version, 1);
  });
});
