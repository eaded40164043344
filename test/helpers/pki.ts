/**
 * A throwaway X.509 PKI for signature tests, made with the openssl CLI (node:crypto verifies
 * certificates but cannot issue them): CAs, leaves with whatever extensions a test needs (a
 * Fulcio-like leaf with the identity SAN and the OIDC-issuer extensions, a Notation signing
 * certificate), validity windows in the past or the future (`openssl ca -startdate/-enddate`),
 * and RFC 3161 timestamps from a test TSA (`openssl ts -reply`).
 *
 * Every call works in a temporary directory of its own; keys are P-256 unless a test asks for RSA.
 */
import { execFileSync } from 'node:child_process';
import { ASN1Obj } from '@sigstore/core';
import { createHash, createPrivateKey, generateKeyPairSync, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Issued {
  /** PEM of the certificate. */
  pem: string;
  /** DER of the certificate. */
  der: Buffer;
  key: KeyObject;
  /** Where openssl finds them (a CA issues with these). */
  certPath: string;
  keyPath: string;
  dir: string;
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });

/** openssl's ca date format (UTC, YYYYMMDDHHMMSSZ). */
const caDate = (d: Date) => `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;

function newKey(dir: string, type: 'ec' | 'rsa'): string {
  const keyPath = join(dir, 'key.pem');
  if (type === 'rsa') openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', keyPath], dir);
  else openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyPath], dir);
  return keyPath;
}

function loaded(dir: string, certPath: string, keyPath: string): Issued {
  const pem = readFileSync(certPath, 'utf8');
  return { pem, der: Buffer.from(new X509Certificate(pem).raw), key: createPrivateKey(readFileSync(keyPath)), certPath, keyPath, dir };
}

/** A self-signed root CA. */
export function rootCa(name: string, options: { keyType?: 'ec' | 'rsa' } = {}): Issued {
  const dir = mkdtempSync(join(tmpdir(), 'lazaret-pki-'));
  const keyPath = newKey(dir, options.keyType ?? 'ec');
  const certPath = join(dir, 'cert.pem');
  openssl(['req', '-x509', '-new', '-key', keyPath, '-out', certPath, '-subj', `/CN=${name}/O=Lazaret tests`, '-days', '3650', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-addext', 'subjectKeyIdentifier=hash'], dir);
  return loaded(dir, certPath, keyPath);
}

export interface LeafOptions {
  /** `/CN=.../O=...` (openssl -subj form); default none (Fulcio leaves have an empty subject). */
  subject?: string;
  /** Lines of an openssl extension section (`subjectAltName = URI:...`, `1.3.6.1.4.1.57264.1.8 = ASN1:UTF8String:...`). */
  extensions: string[];
  notBefore?: Date;
  notAfter?: Date;
  keyType?: 'ec' | 'rsa';
}

/** A certificate issued by `ca` (an intermediate CA too, when its extensions say CA:TRUE). */
export function issue(ca: Issued, options: LeafOptions): Issued {
  const dir = mkdtempSync(join(tmpdir(), 'lazaret-pki-'));
  const keyPath = newKey(dir, options.keyType ?? 'ec');
  const csr = join(dir, 'req.csr');
  openssl(['req', '-new', '-key', keyPath, '-out', csr, '-subj', options.subject ?? '/'], dir);
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), `${Date.now().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16).padStart(4, '0')}`.padStart(20, '0'));
  const notBefore = options.notBefore ?? new Date(Date.now() - 60_000);
  const notAfter = options.notAfter ?? new Date(Date.now() + 3_600_000);
  writeFileSync(
    join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = test',
      '[test]',
      `dir = ${dir}`,
      'database = $dir/index.txt',
      'serial = $dir/serial',
      'new_certs_dir = $dir',
      'default_md = sha256',
      'policy = anything',
      'unique_subject = no',
      'copy_extensions = none',
      'email_in_dn = no',
      '[anything]',
      'commonName = optional',
      'organizationName = optional',
      'organizationalUnitName = optional',
      'countryName = optional',
      'stateOrProvinceName = optional',
      'localityName = optional',
      '[ext]',
      'authorityKeyIdentifier = keyid',
      'subjectKeyIdentifier = hash',
      ...options.extensions,
      '',
    ].join('\n'),
  );
  const certPath = join(dir, 'cert.pem');
  openssl(['ca', '-batch', '-config', 'ca.cnf', '-notext', '-preserveDN', '-in', csr, '-out', certPath, '-cert', ca.certPath, '-keyfile', ca.keyPath, '-startdate', caDate(notBefore), '-enddate', caDate(notAfter), '-extensions', 'ext'], dir);
  return loaded(dir, certPath, keyPath);
}

/** The Fulcio OIDC issuer extensions: .1.1 (the raw string, deprecated) and .1.8 (a DER UTF8String). */
export function fulcioIdentity(san: string, issuer: string): string[] {
  const hex = Buffer.from(issuer).toString('hex').toUpperCase();
  return [
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature',
    'extendedKeyUsage = codeSigning',
    `subjectAltName = critical, ${san.includes('@') && !san.includes('://') ? 'email' : 'URI'}:${san}`,
    `1.3.6.1.4.1.57264.1.1 = DER:${hex}`,
    `1.3.6.1.4.1.57264.1.8 = ASN1:UTF8String:${issuer}`,
  ];
}

/** A Notation signing certificate's extensions (an end entity for code signing). */
export const CODE_SIGNING = ['basicConstraints = critical, CA:FALSE', 'keyUsage = critical, digitalSignature', 'extendedKeyUsage = codeSigning'];

/** An intermediate CA's extensions. */
export const INTERMEDIATE = ['basicConstraints = critical, CA:TRUE, pathlen:0', 'keyUsage = critical, keyCertSign, cRLSign'];

/** A timestamping authority's leaf extensions (RFC 3161 needs the critical timeStamping EKU). */
export const TSA = ['basicConstraints = critical, CA:FALSE', 'keyUsage = critical, digitalSignature', 'extendedKeyUsage = critical, timeStamping'];

/**
 * An RFC 3161 TimeStampResp (DER, status and token: what a Sigstore bundle's signedTimestamp holds) over `data`,
 * signed by `tsa` (its certificate embedded), at the TSA's clock (now).
 */
export function rfc3161Token(tsa: Issued, data: Buffer): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'lazaret-tsa-'));
  writeFileSync(join(dir, 'data'), data);
  writeFileSync(join(dir, 'serial'), '01');
  writeFileSync(
    join(dir, 'tsa.cnf'),
    ['[tsa]', 'default_tsa = test', '[test]', `serial = ${dir}/serial`, 'default_policy = 1.2.3.4.1', 'digests = sha256', 'accuracy = secs:1', 'ess_cert_id_alg = sha256', 'ordering = no', 'tsa_name = no', 'ess_cert_id_chain = no', `signer_digest = sha256`, ''].join('\n'),
  );
  openssl(['ts', '-query', '-data', 'data', '-sha256', '-cert', '-no_nonce', '-out', 'query.tsq'], dir);
  openssl(['ts', '-reply', '-config', 'tsa.cnf', '-queryfile', 'query.tsq', '-inkey', tsa.keyPath, '-signer', tsa.certPath, '-out', 'token.der'], dir);
  return readFileSync(join(dir, 'token.der'));
}

/** The TimeStampToken of a TimeStampResp (what Notation stores, without the status). */
export function timeStampToken(response: Buffer): Buffer {
  return ASN1Obj.parseBuffer(response as Buffer<ArrayBuffer>).subs[1]!.toDER();
}

const b64 = (b: Buffer) => b.toString('base64');

/**
 * A private Sigstore: a Fulcio-like CA (root and intermediate) and a timestamping authority,
 * a Rekor-like log key, and the trusted_root.json that trusts them (no CT log: rules using it
 * set `sct: 0`; bundles carry a TSA timestamp and no log entry, so they need `tlog: 0`; legacy
 * signatures may carry a log entry).
 */
export interface TestSigstore {
  trustedRoot: Record<string, unknown>;
  /**
   * A Rekor-like entry for a legacy cosign signature: the `dev.sigstore.cosign/bundle`
   * annotation (a hashedrekord body and the log's signed entry timestamp over it).
   */
  rekorBundle(signature: Buffer, payload: Buffer, certificatePem: string): string;
  /** A Fulcio-like leaf for `identity` / `issuer`, valid from a minute ago for ten minutes unless told. */
  leaf(identity: string, issuer: string, options?: { notBefore?: Date; notAfter?: Date }): Issued;
  /** An RFC 3161 timestamp response over `data` (the signature bytes), as a bundle carries it. */
  timestamp(data: Buffer): Buffer;
}

export function testSigstore(name = 'test'): TestSigstore {
  const root = rootCa(`${name}-fulcio-root`);
  const intermediate = issue(root, { subject: `/CN=${name}-fulcio-intermediate/O=Lazaret tests`, extensions: INTERMEDIATE, notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 86_400_000) });
  const tsaRoot = rootCa(`${name}-tsa-root`);
  const tsa = issue(tsaRoot, { subject: `/CN=${name}-tsa/O=Lazaret tests`, extensions: TSA, notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 86_400_000) });
  const log = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const logSpki = log.publicKey.export({ type: 'spki', format: 'der' });
  const logId = createHash('sha256').update(logSpki).digest();
  const chain = (...certs: Issued[]) => ({ certificates: certs.map((c) => ({ rawBytes: b64(c.der) })) });
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [{ baseUrl: 'https://rekor.test', hashAlgorithm: 'SHA2_256', publicKey: { rawBytes: b64(logSpki), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: '2020-01-01T00:00:00Z' } }, logId: { keyId: b64(logId) } }],
    ctlogs: [],
    certificateAuthorities: [{ subject: { organization: 'Lazaret tests', commonName: `${name}-fulcio` }, uri: 'https://fulcio.test', certChain: chain(intermediate, root), validFor: { start: '2020-01-01T00:00:00Z' } }],
    timestampAuthorities: [{ subject: { organization: 'Lazaret tests', commonName: `${name}-tsa` }, uri: 'https://tsa.test', certChain: chain(tsa, tsaRoot), validFor: { start: '2020-01-01T00:00:00Z' } }],
  };
  return {
    trustedRoot,
    leaf: (identity, issuer, options = {}) => issue(intermediate, { extensions: fulcioIdentity(identity, issuer), notBefore: options.notBefore ?? new Date(Date.now() - 60_000), notAfter: options.notAfter ?? new Date(Date.now() + 600_000) }),
    timestamp: (data) => rfc3161Token(tsa, data),
    rekorBundle(signature, payload, certificatePem) {
      const body = Buffer.from(JSON.stringify({ apiVersion: '0.0.1', kind: 'hashedrekord', spec: { data: { hash: { algorithm: 'sha256', value: createHash('sha256').update(payload).digest('hex') } }, signature: { content: b64(signature), publicKey: { content: b64(Buffer.from(certificatePem)) } } } })).toString('base64');
      const entry = { body, integratedTime: Math.floor(Date.now() / 1000), logID: logId.toString('hex'), logIndex: 7 };
      // The signed entry timestamp signs the canonical JSON (keys sorted) of the entry.
      const canonical = JSON.stringify({ body: entry.body, integratedTime: entry.integratedTime, logID: entry.logID, logIndex: entry.logIndex });
      return JSON.stringify({ SignedEntryTimestamp: b64(sign('sha256', Buffer.from(canonical), log.privateKey)), Payload: entry });
    },
  };
}
