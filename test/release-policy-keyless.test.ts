/**
 * Keyless cosign signatures under a release policy, end to end over real HTTP: a private
 * Sigstore made here (test/helpers/pki.ts: a Fulcio-like CA whose leaves carry the identity SAN
 * and the OIDC-issuer extensions, a timestamping authority, and the trusted_root.json naming
 * them), bundles and legacy `.sig` signatures pushed by the test, verified by the registry with
 * @sigstore/verify. A valid signature by a trusted identity releases the image; a wrong
 * identity or issuer, a certificate outside its validity at the signing time, a tampered
 * payload, a signature of another digest, an untrusted CA or no trusted signing time count for
 * nothing, and "why held" says which. `min` counts distinct identities across schemes; CEL sees
 * each signature's scheme and identity. On SQLite and PostgreSQL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { TestServer } from './helpers/server.ts';
import { adminAuth, bearer, createUser, startTokenServer } from './helpers/identities.ts';
import { call, pushImage, type PushedImage } from './helpers/quarantine-fixtures.ts';
import { cosignKey, pushCosignSignature } from './helpers/release-policy.ts';
import { testSigstore, type TestSigstore } from './helpers/pki.ts';
import { keylessBundle, pushBundle, pushLegacyKeyless, type KeylessOptions } from './helpers/keyless.ts';
import { dropTestSchema, hasCommand, postgresReachable, skipUnless, TEST_DATABASE_URL } from './helpers/environment.ts';
import { until } from './helpers/until.ts';

const IDENTITY = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';
const pgUp = await postgresReachable();
const noOpenssl = skipUnless(hasCommand('openssl'), 'openssl is not installed (the test PKI needs it)');

for (const backend of ['sqlite', 'postgres'] as const)
  describe(`keyless cosign signatures against a Sigstore trusted root (${backend})`, { skip: noOpenssl || (backend === 'postgres' ? skipUnless(pgUp, `PostgreSQL not reachable at ${TEST_DATABASE_URL}`) : false) }, () => {
    const schema = `lazaret_kls_${randomBytes(5).toString('hex')}`;
    let s: TestServer;
    let world: TestSigstore;
    let stranger: TestSigstore;
    const admin = { authorization: adminAuth() };
    const ci = cosignKey();
    const push = async (repo: string) => ({ authorization: await bearer(s, 'pusher', 'pusher-password', `repository:${repo}:pull,push`) });
    const verdict = async (img: PushedImage) => (await s.services.store.verdicts.get(img.repository, img.digest as never))?.state;
    const why = async (img: PushedImage, name: string) => {
      const r = await call(s.url, 'GET', `/api/v1/quarantine/why-held?repository=${encodeURIComponent(img.repository)}&digest=${img.digest}`, { headers: admin });
      assert.equal(r.status, 200, r.text);
      return r.body.evaluation.rules.find((x: { rule: string }) => x.rule === name);
    };
    const settle = async () => {
      await until('the re-evaluation', async () => (await s.services.releasePolicy.idle(), true));
      await s.services.releasePolicy.idle();
    };
    const image = async (repo: string, seed: string) => {
      const img = await pushImage(s.url, repo, { seed, tag: 'v1', headers: await push(repo) });
      return img;
    };
    const bundle = async (img: PushedImage, leafWorld: TestSigstore, content: 'message' | 'dsse', options: KeylessOptions & { identity?: string; issuer?: string; tsa?: TestSigstore; notBefore?: Date; notAfter?: Date } = {}) => {
      const leaf = leafWorld.leaf(options.identity ?? IDENTITY, options.issuer ?? ISSUER, { ...(options.notBefore ? { notBefore: options.notBefore } : {}), ...(options.notAfter ? { notAfter: options.notAfter } : {}) });
      await pushBundle(s.url, img, keylessBundle(options.tsa ?? leafWorld, leaf, img, content, options), await push(img.repository));
      await settle();
    };
    const keyless = (trustedRoot: unknown) => ({ trustedRoot, tlog: 0, sct: 0, identities: [{ subject: IDENTITY, issuer: ISSUER }, { subjectRegExp: '^https://github\\.com/acme/tools/', issuer: ISSUER }] });
    const apply = async (doc: unknown) => {
      const r = await call(s.url, 'POST', '/api/v1/release-policies', { headers: admin, body: { document: doc } });
      return r;
    };

    before(async () => {
      world = testSigstore('trusted');
      stranger = testSigstore('stranger');
      s = await startTokenServer(backend === 'postgres' ? { databaseUrl: `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}schema=${schema}` } : {});
      await createUser(s, 'pusher', 'pusher-password', [{ role: 'AcrPush' }]);
      for (const doc of [
        { name: 'keyless', repositories: ['keyless/*'], rules: [{ name: 'signed-by-release', signatures: { min: 1, keyless: keyless(world.trustedRoot) } }] },
        { name: 'rekor', repositories: ['rekor/*'], rules: [{ name: 'logged', signatures: { keyless: { ...keyless(world.trustedRoot), tlog: 1 } } }] },
        {
          name: 'mixed',
          repositories: ['mixed/*'],
          rules: [
            { name: 'two-signers', signatures: { min: 2, cosign: { keys: [ci.publicPem] }, keyless: keyless(JSON.stringify(world.trustedRoot)) } },
            { name: 'built-by-acme', cel: 'signatures.exists(s, s.scheme == "keyless" && s.verified && s.identity.startsWith("https://github.com/acme/"))' },
          ],
        },
      ]) {
        const r = await apply(doc);
        assert.equal(r.status, 201, r.text);
      }
      await s.services.releasePolicy.idle();
    });
    after(async () => {
      await s?.close();
      if (backend === 'postgres') await dropTestSchema(schema);
    });

    test('a bundle (message signature over the manifest) by a trusted identity releases the image; why held names the identity', async () => {
      const img = await image('keyless/app', 'k1');
      assert.equal(await verdict(img), 'Quarantined');
      assert.equal((await call(s.url, 'POST', '/api/v1/release-policies/keyless/evaluate', { headers: admin })).status, 202);
      await until('the evaluation', async () => s.services.store.releaseEvaluations.get(img.repository, img.digest));
      assert.match((await why(img, 'signed-by-release')).reason, /no keyless signature found/);
      await bundle(img, world, 'message');
      assert.equal(await verdict(img), 'Passed');
      const r = await why(img, 'signed-by-release');
      assert.equal(r.passed, true);
      assert.deepEqual(r.evidence.identities, [`${IDENTITY} (${ISSUER})`]);
    });

    test('a DSSE bundle of cosign\'s sign statement, and a regexp identity, release too', async () => {
      const img = await image('keyless/dsse', 'k2');
      await bundle(img, world, 'dsse', { identity: 'https://github.com/acme/tools/.github/workflows/ci.yml@refs/tags/v1' });
      assert.equal(await verdict(img), 'Passed');
    });

    test('a bundle pushed with the older artifact type spelling (bundle+json;version=0.3) releases too', async () => {
      const img = await image('keyless/older-type', 'k2b');
      const leaf = world.leaf(IDENTITY, ISSUER);
      await pushBundle(s.url, img, keylessBundle(world, leaf, img, 'message', {}), await push(img.repository), 'application/vnd.dev.sigstore.bundle+json;version=0.3');
      await settle();
      assert.equal(await verdict(img), 'Passed');
      assert.deepEqual((await why(img, 'signed-by-release')).evidence.identities, [`${IDENTITY} (${ISSUER})`]);
    });

    test('cosign\'s legacy .sig layer with the certificate and an RFC 3161 timestamp releases too', async () => {
      const img = await image('keyless/legacy', 'k3');
      await pushLegacyKeyless(s.url, world, world.leaf(IDENTITY, ISSUER), img, { claims: (await image('keyless/other', 'k3o')).digest, headers: await push(img.repository) });
      await settle();
      assert.match((await why(img, 'signed-by-release')).reason, /signs another image/);
      assert.equal(await verdict(img), 'Quarantined');
      await pushLegacyKeyless(s.url, world, world.leaf(IDENTITY, ISSUER), img, { headers: await push(img.repository) });
      await settle();
      assert.equal(await verdict(img), 'Passed');
    });

    test('a legacy signature with a transparency-log entry, where the rule requires one (tlog: 1)', async () => {
      const img = await image('rekor/app', 'r1');
      const leaf = world.leaf(IDENTITY, ISSUER);
      await pushLegacyKeyless(s.url, world, leaf, img, { headers: await push(img.repository) });
      await settle();
      assert.match((await why(img, 'logged')).reason, /expected 1 tlog entries, got 0/);
      assert.equal(await verdict(img), 'Quarantined');
      await pushLegacyKeyless(s.url, world, leaf, img, { rekor: true, noTimestamp: true, headers: await push(img.repository) });
      await settle();
      const r = await why(img, 'logged');
      assert.equal(r.passed, true, r.reason);
      assert.equal(await verdict(img), 'Passed');
    });

    test('refused, each saying why: wrong identity, wrong issuer, expired at signing, tampered, another digest, untrusted CA, no timestamp', async () => {
      const img = await image('keyless/refused', 'k4');
      const other = await image('keyless/refused', 'k4-other');
      const cases: [string, () => Promise<void>, RegExp][] = [
        ['wrong identity', () => bundle(img, world, 'message', { identity: 'https://github.com/evil/app/.github/workflows/x.yml@refs/heads/main' }), /identity https:\/\/github\.com\/evil\/app.* is not one the rule trusts/],
        ['wrong issuer', () => bundle(img, world, 'message', { issuer: 'https://accounts.example.com' }), /issuer https:\/\/accounts\.example\.com\) is not one the rule trusts/],
        ['expired at the signing time', () => bundle(img, world, 'message', { notBefore: new Date(Date.now() - 7_200_000), notAfter: new Date(Date.now() - 3_600_000) }), /not valid at the signing time/],
        ['tampered payload', () => bundle(img, world, 'dsse', { tamper: true }), /signature does not verify/],
        ['another digest (message)', () => bundle(img, world, 'message', { claims: other.digest }), /signs another artifact/],
        ['another digest (DSSE)', () => bundle(img, world, 'dsse', { claims: other.digest }), /signs another image/],
        ['untrusted CA', () => bundle(img, stranger, 'message', { tsa: world }), /does not chain to a certificate authority of the trusted root/],
        ['untrusted TSA', () => bundle(img, world, 'message', { tsa: stranger }), /no trusted signing time/],
        ['no timestamp', () => bundle(img, world, 'message', { noTimestamp: true }), /no trusted signing time/],
      ];
      let n = 0;
      for (const [name, sign, problem] of cases) {
        await sign();
        n++;
        const r = await why(img, 'signed-by-release');
        assert.equal(r.passed, false, name);
        assert.equal(r.pending, true, name);
        assert.match(r.reason, new RegExp(`${n} signature\\(s\\) found, 0 valid`), name);
        assert.ok(r.evidence.refused.some((x: string) => problem.test(x)), `${name}: ${JSON.stringify(r.evidence.refused)}`);
        assert.equal(await verdict(img), 'Quarantined', name);
      }
    });

    test('min counts distinct identities across schemes; CEL sees scheme and identity', async () => {
      const img = await image('mixed/app', 'm1');
      await bundle(img, world, 'message');
      await bundle(img, world, 'dsse');
      let r = await why(img, 'two-signers');
      assert.equal(r.passed, false, 'two signatures by one identity count once');
      assert.match(r.reason, /needs 2 valid signature\(s\) by trusted identities \(cosign, keyless\)/);
      assert.equal((await why(img, 'built-by-acme')).passed, true);
      await pushCosignSignature(s.url, img.repository, img.digest, ci, { headers: await push(img.repository), scheme: 'referrer', subjectSize: img.size });
      await settle();
      r = await why(img, 'two-signers');
      assert.equal(r.passed, true, r.reason);
      assert.equal(r.evidence.identities.length, 2);
      assert.equal(await verdict(img), 'Passed');
    });

    test('the CEL rule fails an image whose only signature is by a key', async () => {
      const img = await image('mixed/keyonly', 'm2');
      await pushCosignSignature(s.url, img.repository, img.digest, ci, { headers: await push(img.repository), scheme: 'referrer', subjectSize: img.size });
      await settle();
      const r = await why(img, 'built-by-acme');
      assert.equal(r.passed, false);
      assert.equal(r.pending, undefined);
      assert.equal(await verdict(img), 'Failed');
    });

    test('documents are refused where a keyless rule cannot work as written', async () => {
      const base = (signatures: unknown) => ({ name: 'broken', repositories: ['broken/*'], rules: [{ name: 'sig', signatures }] });
      const cases: [unknown, string, RegExp][] = [
        [{ min: 1 }, 'rules[0].signatures', /must name at least one of cosign, keyless/],
        [{ keyless: { ...keyless(world.trustedRoot), trustedRoot: '{"mediaType":"x"}' } }, 'rules[0].signatures.keyless.trustedRoot', /is not a usable Sigstore trusted root/],
        [{ keyless: { ...keyless(world.trustedRoot), trustedRoot: 'not json' } }, 'rules[0].signatures.keyless.trustedRoot', /is not a usable Sigstore trusted root/],
        [{ keyless: { ...keyless(world.trustedRoot), identities: [{ subject: IDENTITY, subjectRegExp: '.*', issuer: ISSUER }] } }, 'rules[0].signatures.keyless.identities[0]', /exactly one of subject, subjectRegExp/],
        [{ keyless: { ...keyless(world.trustedRoot), identities: [{ subject: IDENTITY }] } }, 'rules[0].signatures.keyless.identities[0]', /exactly one of issuer, issuerRegExp/],
        [{ keyless: { ...keyless(world.trustedRoot), identities: [{ subjectRegExp: '([', issuer: ISSUER }] } }, 'rules[0].signatures.keyless.identities[0].subjectRegExp', /is not a regular expression/],
        [{ keyless: { ...keyless(world.trustedRoot), identities: [{ subject: IDENTITY, issuerRegExp: '^(https://[a-z]+)+$' }] } }, 'rules[0].signatures.keyless.identities[0].issuerRegExp', /could take exponential time to match/],
      ];
      for (const [signatures, field, message] of cases) {
        const r = await apply(base(signatures));
        assert.equal(r.status, 400, r.text);
        assert.equal(r.body.errors[0].detail.field, field, r.text);
        assert.match(r.body.errors[0].message, message);
      }
    });
  });
