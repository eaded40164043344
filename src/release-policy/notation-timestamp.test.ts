/**
 * Notation signatures with an RFC 3161 countersignature (io.cncf.notary.timestampSignature),
 * checked by checkNotation with the clock the test gives it: a signing certificate that has
 * expired since still verifies when a TSA the rule trusts vouches that the signature was made
 * while it was valid; without a TSA trust store, with an untrusted TSA, or with a token over
 * other bytes, it does not. Certificates and tokens are made here with openssl (test/helpers/pki.ts).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CODE_SIGNING, INTERMEDIATE, TSA, issue, rfc3161Token, rootCa, timeStampToken, type Issued } from '../../test/helpers/pki.ts';
import { notationEnvelope } from '../../test/helpers/notation.ts';
import { hasCommand, skipUnless } from '../../test/helpers/environment.ts';
import type { PushedImage } from '../../test/helpers/quarantine-fixtures.ts';
import { checkNotation, type NotationEnvelope, type NotationRule } from './notation.ts';
import { parsePolicyDocument } from './document.ts';
import { loadPolicyLibraries } from './libraries.ts';

const SIGNER = '/C=US/ST=WA/L=Seattle/O=acme-rockets.io/OU=Builds/CN=SecureBuilder';
const TRUSTED = 'x509.subject: C=US, ST=WA, O=acme-rockets.io, CN=SecureBuilder';
const DAY = 86_400_000;
const img: PushedImage = { repository: 'team/app', digest: `sha256:${'ab'.repeat(32)}`, config: '', layers: [], manifest: '{}', size: 2 };

describe('Notation countersignatures (RFC 3161) give the signing time', { skip: skipUnless(hasCommand('openssl'), 'openssl not installed') }, () => {
  let root: Issued;
  let signer: Issued;
  let expiredSigner: Issued;
  let tsaRoot: Issued;
  let tsa: Issued;
  let strangerTsa: Issued;

  // checkNotation is called directly here, not through evaluatePolicy, which would load its libraries.
  before(() => loadPolicyLibraries());
  before(() => {
    root = rootCa('ts-notation-root');
    const intermediate = issue(root, { subject: '/CN=ts-notation-intermediate/O=Lazaret tests', extensions: INTERMEDIATE, notAfter: new Date(Date.now() + 30 * DAY) });
    // Valid for the next two minutes only: checked a day later, it has expired.
    signer = issue(intermediate, { subject: SIGNER, extensions: CODE_SIGNING, notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 120_000) });
    (signer as Issued & { chain?: Issued[] }).chain = [signer, intermediate];
    expiredSigner = issue(root, { subject: SIGNER, extensions: CODE_SIGNING, notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - 5 * DAY) });
    tsaRoot = rootCa('ts-tsa-root');
    tsa = issue(tsaRoot, { subject: '/CN=ts-tsa/O=Lazaret tests', extensions: TSA, notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + DAY) });
    strangerTsa = issue(rootCa('ts-stranger-root'), { subject: '/CN=stranger-tsa/O=Lazaret tests', extensions: TSA, notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + DAY) });
  });

  const chainOf = (leaf: Issued) => (leaf as Issued & { chain?: Issued[] }).chain ?? [leaf];
  const rule = (overrides: Partial<NotationRule> = {}): NotationRule => ({ trustStore: [root.pem], tsaTrustStore: [tsaRoot.pem], registryScopes: ['*'], trustedIdentities: [TRUSTED], ...overrides });
  const stampedBy = (authority: Issued) => (signature: Buffer) => timeStampToken(rfc3161Token(authority, signature));

  for (const format of ['jws', 'cose'] as const) {
    const envelope = (leaf: Issued, timestamp?: (signature: Buffer) => Buffer): NotationEnvelope => ({
      mediaType: format === 'jws' ? 'application/jose+json' : 'application/cose',
      envelope: notationEnvelope(format, chainOf(leaf), img, timestamp ? { timestamp } : {}),
      source: { manifest: `sha256:${'cd'.repeat(32)}`, scheme: 'referrer' },
    });
    const check = (sig: NotationEnvelope, r: NotationRule, now: Date) => checkNotation(sig, img.repository, img.digest, r, now);
    const later = () => new Date(Date.now() + DAY);

    test(`${format}: a certificate expired since signing verifies with a trusted countersignature, and not without one`, () => {
      const stamped = envelope(signer, stampedBy(tsa));
      assert.deepEqual(check(stamped, rule(), new Date()), { valid: true, identity: 'x509.subject: C=US, ST=WA, L=Seattle, O=acme-rockets.io, OU=Builds, CN=SecureBuilder' });
      const r = check(stamped, rule(), later());
      assert.equal(r.valid, true, JSON.stringify(r));
      const unstamped = check(envelope(signer), rule(), later());
      assert.equal(unstamped.valid, false);
      assert.match((unstamped as { problem: string }).problem, /is not valid now/);
      const noTsaStore = check(stamped, rule({ tsaTrustStore: undefined }), later());
      assert.match((noTsaStore as { problem: string }).problem, /is not valid now/, 'without a TSA trust store the countersignature is not used');
    });

    test(`${format}: refused: an untrusted TSA, a token over other bytes, a certificate already expired at the trusted time`, () => {
      const stranger = check(envelope(signer, stampedBy(strangerTsa)), rule(), later());
      assert.match((stranger as { problem: string }).problem, /timestamp countersignature is not trusted: the timestamp authority does not chain to a certificate of the TSA trust store/);
      const otherBytes = check(envelope(signer, () => timeStampToken(rfc3161Token(tsa, Buffer.from('another signature')))), rule(), new Date());
      assert.match((otherBytes as { problem: string }).problem, /timestamp countersignature is not trusted: the timestamp does not verify/);
      const garbage = check(envelope(signer, () => Buffer.from('not a token')), rule(), new Date());
      assert.match((garbage as { problem: string }).problem, /timestamp countersignature is not trusted: the timestamp token does not parse/);
      const expired = check(envelope(expiredSigner, stampedBy(tsa)), rule(), new Date());
      assert.match((expired as { problem: string }).problem, /is not valid at its trusted signing time/);
    });
  }

  test('a tsaTrustStore entry that is not a certificate is refused at apply, naming the field', async () => {
    const doc = (tsaTrustStore: string[]) => ({ name: 'n', repositories: ['n/*'], rules: [{ name: 'signed', signatures: { notation: { trustStore: [root.pem], tsaTrustStore, trustedIdentities: [TRUSTED] } } }] });
    assert.equal((await parsePolicyDocument(JSON.stringify(doc([tsaRoot.pem])))).rules[0]!.signatures!.notation!.tsaTrustStore!.length, 1);
    await assert.rejects(parsePolicyDocument(JSON.stringify(doc(['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----']))), /rules\[0\]\.signatures\.notation\.tsaTrustStore\[0\]/);
  });
});
