/**
 * Notation signatures under a release policy, end to end over real HTTP: a test CA and signing
 * certificates made with openssl (test/helpers/pki.ts), JWS and COSE envelopes built here as
 * `notation sign` builds them (test/helpers/notation.ts), pushed as referrers and verified by
 * the registry against the trust store and trust policy of the rule. A valid signature by a
 * trusted identity releases the image; a wrong CA, an identity not in trustedIdentities, a
 * tampered payload, another digest, an expired certificate or signature, or a repository outside
 * registryScopes count for nothing, and "why held" says which. On SQLite and PostgreSQL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { TestServer } from './helpers/server.ts';
import { adminAuth, bearer, createUser, startTokenServer } from './helpers/identities.ts';
import { call, pushImage, type PushedImage } from './helpers/quarantine-fixtures.ts';
import { CODE_SIGNING, INTERMEDIATE, issue, rootCa, type Issued } from './helpers/pki.ts';
import { notationEnvelope, pushNotation, type NotationOptions } from './helpers/notation.ts';
import { dropTestSchema, hasCommand, postgresReachable, skipUnless, TEST_DATABASE_URL } from './helpers/environment.ts';
import { until } from './helpers/until.ts';

const SIGNER = '/C=US/ST=WA/L=Seattle/O=acme-rockets.io/OU=Builds/CN=SecureBuilder';
const TRUSTED = 'x509.subject: C=US, ST=WA, O=acme-rockets.io, CN=SecureBuilder';
const pgUp = await postgresReachable();
const noOpenssl = skipUnless(hasCommand('openssl'), 'openssl is not installed (the test PKI needs it)');

for (const backend of ['sqlite', 'postgres'] as const)
  describe(`Notation signatures against a trust store and trust policy (${backend})`, { skip: noOpenssl || (backend === 'postgres' ? skipUnless(pgUp, `PostgreSQL not reachable at ${TEST_DATABASE_URL}`) : false) }, () => {
    const schema = `lazaret_ntn_${randomBytes(5).toString('hex')}`;
    let s: TestServer;
    let root: Issued;
    let intermediate: Issued;
    let signer: Issued;
    let rsaSigner: Issued;
    let otherRoot: Issued;
    const admin = { authorization: adminAuth() };
    const push = async (repo: string) => ({ authorization: await bearer(s, 'pusher', 'pusher-password', `repository:${repo}:pull,push`) });
    const verdict = async (img: PushedImage) => (await s.services.store.verdicts.get(img.repository, img.digest as never))?.state;
    const why = async (img: PushedImage, name = 'signed-by-builder') => {
      const r = await call(s.url, 'GET', `/api/v1/quarantine/why-held?repository=${encodeURIComponent(img.repository)}&digest=${img.digest}`, { headers: admin });
      assert.equal(r.status, 200, r.text);
      return r.body.evaluation.rules.find((x: { rule: string }) => x.rule === name);
    };
    const settle = async () => {
      await until('the re-evaluation', async () => (await s.services.releasePolicy.idle(), true));
      await s.services.releasePolicy.idle();
    };
    const image = async (repo: string, seed: string) => pushImage(s.url, repo, { seed, tag: 'v1', headers: await push(repo) });
    const signWith = async (img: PushedImage, format: 'jws' | 'cose', chain: Issued[], options: NotationOptions = {}) => {
      await pushNotation(s.url, img, format, notationEnvelope(format, chain, img, options), await push(img.repository));
      await settle();
    };
    const notation = (overrides: Record<string, unknown> = {}) => ({ trustStore: [root.pem], trustedIdentities: [TRUSTED], ...overrides });
    const apply = (doc: unknown) => call(s.url, 'POST', '/api/v1/release-policies', { headers: admin, body: { document: doc } });

    before(async () => {
      root = rootCa('notation-root');
      intermediate = issue(root, { subject: '/CN=notation-intermediate/O=Lazaret tests', extensions: INTERMEDIATE, notAfter: new Date(Date.now() + 86_400_000) });
      signer = issue(intermediate, { subject: SIGNER, extensions: CODE_SIGNING });
      rsaSigner = issue(root, { subject: SIGNER, extensions: CODE_SIGNING, keyType: 'rsa' });
      otherRoot = rootCa('notation-stranger');
      s = await startTokenServer(backend === 'postgres' ? { databaseUrl: `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}schema=${schema}` } : {});
      await createUser(s, 'pusher', 'pusher-password', [{ role: 'AcrPush' }]);
      for (const doc of [
        { name: 'notation', repositories: ['notation/*'], rules: [{ name: 'signed-by-builder', signatures: { notation: notation() } }] },
        { name: 'scoped', repositories: ['scoped/*'], rules: [{ name: 'signed-by-builder', signatures: { notation: notation({ registryScopes: ['registry.acme-rockets.io/scoped/app'] }) } }] },
        { name: 'permissive', repositories: ['permissive/*'], rules: [{ name: 'signed-by-builder', signatures: { notation: notation({ signatureVerification: { level: 'permissive' } }) } }] },
        { name: 'lenient', repositories: ['lenient/*'], rules: [{ name: 'signed-by-builder', signatures: { notation: notation({ signatureVerification: { level: 'strict', override: { authenticTimestamp: 'log' } } }) } }] },
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

    test('a JWS signature (ES256, chain leaf-intermediate-root) by a trusted identity releases the image', async () => {
      const img = await image('notation/jws', 'n1');
      await signWith(img, 'jws', [signer, intermediate, root]);
      const r = await why(img);
      assert.equal(r.passed, true, r.reason);
      assert.deepEqual(r.evidence.identities, ['x509.subject: C=US, ST=WA, L=Seattle, O=acme-rockets.io, OU=Builds, CN=SecureBuilder']);
      assert.equal(await verdict(img), 'Passed');
    });

    test('a COSE signature (PS256, RSA) releases too', async () => {
      const img = await image('notation/cose', 'n2');
      await signWith(img, 'cose', [rsaSigner, root]);
      const r = await why(img);
      assert.equal(r.passed, true, r.reason);
      assert.equal(await verdict(img), 'Passed');
    });

    for (const format of ['jws', 'cose'] as const) {
      test(`${format}: refused, each saying why: wrong CA, untrusted identity, tampered, another digest, expired certificate, expired signature`, async () => {
        const img = await image('notation/refused', `n3-${format}`);
        const other = await image('notation/refused', `n3-${format}-other`);
        const stranger = issue(otherRoot, { subject: SIGNER, extensions: CODE_SIGNING });
        const someoneElse = issue(intermediate, { subject: '/C=US/ST=WA/O=acme-rockets.io/CN=Intern', extensions: CODE_SIGNING });
        const expired = issue(intermediate, { subject: SIGNER, extensions: CODE_SIGNING, notBefore: new Date(Date.now() - 7_200_000), notAfter: new Date(Date.now() - 3_600_000) });
        const cases: [string, () => Promise<void>, RegExp][] = [
          ['wrong CA', () => signWith(img, format, [stranger, otherRoot]), /does not lead to a certificate of the trust store/],
          ['untrusted identity', () => signWith(img, format, [someoneElse, intermediate, root]), /CN=Intern is not in trustedIdentities/],
          ['tampered payload', () => signWith(img, format, [signer, intermediate, root], { tamper: true }), /signature does not verify/],
          ['another digest', () => signWith(img, format, [signer, intermediate, root], { claims: other.digest }), /signs another artifact/],
          ['expired certificate', () => signWith(img, format, [expired, intermediate, root]), /is not valid now/],
          ['expired signature', () => signWith(img, format, [signer, intermediate, root], { expiry: new Date(Date.now() - 60_000) }), /the signature expired at/],
        ];
        let n = 0;
        for (const [name, sign, problem] of cases) {
          await sign();
          n++;
          const r = await why(img);
          assert.equal(r.passed, false, name);
          assert.equal(r.pending, true, name);
          assert.match(r.reason, new RegExp(`${n} signature\\(s\\) found, 0 valid`), name);
          assert.ok(r.evidence.refused.some((x: string) => problem.test(x)), `${name}: ${JSON.stringify(r.evidence.refused)}`);
          assert.equal(await verdict(img), 'Quarantined', name);
        }
        // A signature expiring later is fine.
        await signWith(img, format, [signer, intermediate, root], { expiry: new Date(Date.now() + 3_600_000) });
        assert.equal(await verdict(img), 'Passed');
      });
    }

    test('registryScopes: a signature for a repository outside them counts for nothing', async () => {
      const outside = await image('scoped/other', 'n4');
      await signWith(outside, 'jws', [signer, intermediate, root]);
      assert.match((await why(outside)).reason, /registryScopes do not cover scoped\/other/);
      assert.equal(await verdict(outside), 'Quarantined');
      const inside = await image('scoped/app', 'n5');
      await signWith(inside, 'jws', [signer, intermediate, root]);
      assert.equal(await verdict(inside), 'Passed');
    });

    test('levels: permissive logs an expired signature but still enforces certificates and identity; an override relaxes one check', async () => {
      const expiredCert = issue(intermediate, { subject: SIGNER, extensions: CODE_SIGNING, notBefore: new Date(Date.now() - 7_200_000), notAfter: new Date(Date.now() - 3_600_000) });
      const img = await image('permissive/app', 'n6');
      await signWith(img, 'jws', [expiredCert, intermediate, root]);
      assert.match((await why(img)).evidence.refused.join(' '), /is not valid now/, 'permissive enforces the authentic timestamp');
      assert.equal(await verdict(img), 'Quarantined');
      await signWith(img, 'cose', [signer, intermediate, root], { expiry: new Date(Date.now() - 60_000) });
      const r = await why(img);
      assert.equal(r.passed, true);
      assert.match(r.reason, /logged, not enforced: .*the signature expired at .*\(expiry: logged\)/);
      assert.equal(await verdict(img), 'Passed');
      // Strict with authenticTimestamp logged: the expired certificate counts, an expired signature does not.
      const other = await image('lenient/app', 'n7');
      await signWith(other, 'jws', [signer, intermediate, root], { expiry: new Date(Date.now() - 60_000) });
      assert.match((await why(other)).evidence.refused.join(' '), /the signature expired at/);
      assert.equal(await verdict(other), 'Quarantined');
      await signWith(other, 'jws', [expiredCert, intermediate, root]);
      assert.match((await why(other)).evidence.logged.join(' '), /is not valid now .*\(authenticTimestamp: logged\)/);
      assert.equal(await verdict(other), 'Passed');
    });

    test('documents are refused where a Notation rule cannot work as written', async () => {
      const base = (n: unknown) => ({ name: 'broken', repositories: ['broken/*'], rules: [{ name: 'sig', signatures: { notation: n } }] });
      const cases: [unknown, string, RegExp][] = [
        [notation({ trustStore: ['-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----'] }), 'rules[0].signatures.notation.trustStore[0]', /is not a usable certificate/],
        [notation({ trustedIdentities: ['x509.subject: CN=SecureBuilder'] }), 'rules[0].signatures.notation.trustedIdentities[0]', /must name C/],
        [notation({ trustedIdentities: ['CN=SecureBuilder'] }), 'rules[0].signatures.notation.trustedIdentities[0]', /must be \* or x509\.subject/],
        [notation({ registryScopes: ['registry.example/team-*'] }), 'rules[0].signatures.notation.registryScopes[0]', /must be \* alone/],
        [notation({ signatureVerification: { level: 'audit' } }), 'rules[0].signatures.notation.signatureVerification.level', /must be strict or permissive \(audit does not verify who signed/],
        [notation({ signatureVerification: { level: 'skip' } }), 'rules[0].signatures.notation.signatureVerification.level', /must be strict or permissive/],
        [notation({ signatureVerification: { level: 'lax' } }), 'rules[0].signatures.notation.signatureVerification.level', /./],
        [notation({ signatureVerification: { level: 'strict', override: { revocation: 'skip' } } }), 'rules[0].signatures.notation.signatureVerification.override.revocation', /is not a known field/],
      ];
      for (const [n, field, message] of cases) {
        const r = await apply(base(n));
        assert.equal(r.status, 400, r.text);
        assert.equal(r.body.errors[0].detail.field, field, r.text);
        assert.match(r.body.errors[0].message, message);
      }
    });
  });
