/**
 * Notation (Notary Project) signatures, verified as `notation verify` does at its `strict` or
 * `permissive` level (enforcementOf below), against the trust store and trust policy a
 * signatures rule names.
 *
 * A signature is an OCI 1.1 referrer of the image with artifactType
 * `application/vnd.cncf.notary.signature`; its one layer is the envelope:
 * - JWS (`application/jose+json`): the flattened JSON serialization; the protected header has
 *   `alg`, `cty: application/vnd.cncf.notary.payload.v1+json`, `crit` (naming at least
 *   `io.cncf.notary.signingScheme`), `io.cncf.notary.signingScheme: notary.x509`,
 *   `io.cncf.notary.signingTime` (RFC 3339) and optionally `io.cncf.notary.expiry`; the
 *   unprotected header carries the chain in `x5c` (base64 DER, leaf first).
 * - COSE (`application/cose`): a COSE_Sign1_Tagged; protected labels 1 (alg), 2 (crit), 3
 *   (content type) and the same io.cncf.notary.* names (times as epoch tags), the chain in
 *   unprotected label 33 (x5chain). Decoded with cbor2.
 * Signatures are verified with node:crypto (both formats give the bytes signed and the
 * signature; verification stays synchronous like the rest of the evaluation).
 * The payload is `{"targetArtifact": <descriptor>}`: its digest must be the image's.
 *
 * What makes a signature valid: the envelope is well formed and its `alg` is the leaf key's
 * (no algorithm substitution); the signature verifies with the leaf's key; the chain in the
 * envelope links leaf to a certificate of the trust store (each certificate signed by the next);
 * the leaf is an end-entity certificate allowed to sign code (digitalSignature, codeSigning when
 * it lists extended key usages); every certificate of the chain is valid at the signing time the
 * registry can trust: the time of the signature's RFC 3161 countersignature
 * (`io.cncf.notary.timestampSignature`, over the signature bytes) when the rule has a TSA trust
 * store and the countersignature verifies against it (./timestamp-token.ts), else now (without a
 * trusted timestamp the verification time is the only time there is, as Notation says; a
 * countersignature that does not verify refuses the signature); the signature has
 * not passed its own expiry; the trust policy's registryScopes cover the repository; the leaf's
 * subject has every RDN of one trustedIdentities entry.
 */
import { createPublicKey, constants, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { policyLibraries } from './libraries.ts';
import { checkTimestampToken } from './timestamp-token.ts';

export const NOTATION_SIGNATURE_TYPE = 'application/vnd.cncf.notary.signature';
export const NOTATION_JWS = 'application/jose+json';
export const NOTATION_COSE = 'application/cose';
const PAYLOAD_TYPE = 'application/vnd.cncf.notary.payload.v1+json';
const SIGNING_SCHEME = 'io.cncf.notary.signingScheme';
const SIGNING_TIME = 'io.cncf.notary.signingTime';
const EXPIRY = 'io.cncf.notary.expiry';
/** The unprotected header holding the RFC 3161 TimeStampToken (base64 in JWS, bytes in COSE); some signers wrote the spec example's shorter name. */
const TIMESTAMP = 'io.cncf.notary.timestampSignature';
const TIMESTAMP_ALIAS = 'io.cncf.notary.timestamp';
/** The critical headers this verifier understands (anything else in crit refuses the signature). */
const UNDERSTOOD = new Set([SIGNING_SCHEME, EXPIRY]);
const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

/** The `notation` part of a signatures rule (document.ts has the schema). */
export interface NotationRule {
  /** PEM CA certificates (Notation's `ca` trust store). */
  trustStore: string[];
  /** PEM root certificates of timestamping authorities (Notation's `tsa` trust store): countersignatures they vouch for give the signing time. */
  tsaTrustStore?: string[];
  registryScopes: string[];
  trustedIdentities: string[];
  /** Notation's signatureVerification: `strict` (default) or `permissive`, with per-check overrides. */
  signatureVerification?: { level: 'strict' | 'permissive' | 'audit' | 'skip'; override?: { expiry?: 'enforce' | 'log'; authenticTimestamp?: 'enforce' | 'log' } };
}

/**
 * What a level does with the two checks it may relax, as Notation's trust policy defines them:
 * `strict` enforces both; `permissive` logs the signature's own expiry and still enforces the
 * certificates' validity (authentic timestamp). `override` changes one check either way.
 * Integrity and authenticity are always enforced: a gate has no use for `audit` or `skip`
 * (the document refuses them).
 */
export function enforcementOf(rule: NotationRule): { expiry: 'enforce' | 'log'; authenticTimestamp: 'enforce' | 'log' } {
  const v = rule.signatureVerification;
  return { expiry: v?.override?.expiry ?? (v?.level === 'permissive' ? 'log' : 'enforce'), authenticTimestamp: v?.override?.authenticTimestamp ?? 'enforce' };
}

/** A Notation signature referrer of an image, as read. */
export interface NotationEnvelope {
  mediaType?: string;
  envelope?: Buffer;
  error?: string;
  source: { manifest: string; scheme: 'referrer' };
}

/** `logged`: checks the rule's level only logs that failed (the signature still counts). */
export type NotationCheck = { valid: true; identity: string; logged?: string[] } | { valid: false; problem: string };

/** What either envelope format gives the common checks. */
interface Parsed {
  alg: string;
  cty: unknown;
  crit: unknown;
  scheme: unknown;
  signingTime: unknown;
  expiry?: Date;
  payload: Buffer;
  chain: Buffer[];
  /** What the signature signs: JWS `protected.payload` (ASCII), COSE the encoded Sig_structure. */
  toBeSigned: Uint8Array;
  signature: Uint8Array;
  /** The RFC 3161 countersignature (a DER TimeStampToken over `signature`), if any. */
  timestamp?: Buffer;
}

/** Verifies with node:crypto: ECDSA signatures are r||s (JWS and COSE both), RSA is PSS with the hash's length as salt. */
function verifies(alg: string, toBeSigned: Uint8Array, signature: Uint8Array, key: KeyObject): boolean {
  const bits = Number(alg.slice(2));
  try {
    if (alg.startsWith('ES')) return verify(`sha${bits}`, toBeSigned, { key, dsaEncoding: 'ieee-p1363' }, signature);
    return verify(`sha${bits}`, toBeSigned, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: bits / 8 }, signature);
  } catch {
    return false;
  }
}

/** The JWS / COSE algorithm a key must use (Notation's mapping: RSA by modulus size, EC by curve). */
function algOf(key: KeyObject): string | undefined {
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    const bits = key.asymmetricKeyDetails?.modulusLength;
    return bits === 2048 ? 'PS256' : bits === 3072 ? 'PS384' : bits === 4096 ? 'PS512' : undefined;
  }
  if (key.asymmetricKeyType === 'ec') return { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' }[key.asymmetricKeyDetails?.namedCurve ?? ''];
  return undefined;
}

const COSE_ALGS: Record<number, string> = { [-37]: 'PS256', [-38]: 'PS384', [-39]: 'PS512', [-7]: 'ES256', [-35]: 'ES384', [-36]: 'ES512' };

function parseJws(bytes: Buffer): Parsed {
  const jws = JSON.parse(bytes.toString('utf8')) as { protected?: unknown; payload?: unknown; signature?: unknown; header?: Record<string, unknown> & { x5c?: unknown } };
  if (typeof jws.protected !== 'string' || typeof jws.payload !== 'string' || typeof jws.signature !== 'string') throw new Error('not a flattened JWS (protected, payload, signature)');
  const header = JSON.parse(Buffer.from(jws.protected, 'base64url').toString('utf8')) as Record<string, unknown>;
  const x5c = jws.header?.x5c;
  if (!Array.isArray(x5c) || !x5c.every((c) => typeof c === 'string')) throw new Error('the unprotected header has no x5c certificate chain');
  const expiry = header[EXPIRY];
  const timestamp = jws.header?.[TIMESTAMP] ?? jws.header?.[TIMESTAMP_ALIAS];
  return {
    ...(typeof timestamp === 'string' ? { timestamp: Buffer.from(timestamp, 'base64') } : {}),
    alg: String(header.alg),
    cty: header.cty,
    crit: header.crit,
    scheme: header[SIGNING_SCHEME],
    signingTime: typeof header[SIGNING_TIME] === 'string' && !Number.isNaN(Date.parse(header[SIGNING_TIME] as string)) ? header[SIGNING_TIME] : undefined,
    ...(typeof expiry === 'string' ? { expiry: new Date(expiry) } : {}),
    payload: Buffer.from(jws.payload, 'base64url'),
    chain: (x5c as string[]).map((c) => Buffer.from(c, 'base64')),
    toBeSigned: Buffer.from(`${jws.protected}.${jws.payload}`, 'ascii'),
    signature: Buffer.from(jws.signature, 'base64url'),
  };
}

const label = (m: unknown, k: number | string): unknown => (m instanceof Map ? m.get(k) : (m as Record<string, unknown> | undefined)?.[String(k)]);
/** An epoch date/time (tag 1): cbor2 gives a Date; a bare or still-tagged number is read as seconds. */
const epoch = (v: unknown): Date | undefined => {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v;
  const n = v instanceof policyLibraries().cbor.Tag && v.tag === 1 ? v.contents : v;
  return typeof n === 'number' || typeof n === 'bigint' ? new Date(Number(n) * 1000) : undefined;
};

function parseCose(bytes: Buffer): Parsed {
  const { decode, encode, Tag } = policyLibraries().cbor;
  const top = decode(bytes, { preferMap: true });
  if (!(top instanceof Tag) || Number(top.tag) !== 18 || !Array.isArray(top.contents) || top.contents.length !== 4) throw new Error('not a COSE_Sign1_Tagged');
  const [protectedBytes, unprotected, payload, signature] = top.contents as [unknown, unknown, unknown, unknown];
  if (!(protectedBytes instanceof Uint8Array) || !(payload instanceof Uint8Array) || !(signature instanceof Uint8Array)) throw new Error('the COSE_Sign1 has no protected header, payload or signature bytes');
  const header = decode(protectedBytes, { preferMap: true });
  const chain = label(unprotected, 33) ?? label(header, 33);
  const certs = chain instanceof Uint8Array ? [chain] : Array.isArray(chain) ? chain : [];
  if (!certs.length || !certs.every((c) => c instanceof Uint8Array)) throw new Error('the unprotected header has no x5chain (label 33)');
  const alg = COSE_ALGS[Number(label(header, 1))] ?? `COSE algorithm ${String(label(header, 1))}`;
  // Plain Uint8Arrays: cbor2 encodes a Buffer (what decoding a Buffer gives) as an object, not as bytes.
  const toBeSigned = encode(['Signature1', Uint8Array.from(protectedBytes), new Uint8Array(0), Uint8Array.from(payload)]);
  const expiry = epoch(label(header, EXPIRY));
  const timestamp = label(unprotected, TIMESTAMP) ?? label(unprotected, TIMESTAMP_ALIAS);
  return {
    ...(timestamp instanceof Uint8Array ? { timestamp: Buffer.from(timestamp) } : {}),
    alg,
    cty: label(header, 3),
    crit: label(header, 2),
    scheme: label(header, SIGNING_SCHEME),
    signingTime: epoch(label(header, SIGNING_TIME)),
    ...(expiry ? { expiry } : {}),
    payload: Buffer.from(payload),
    chain: (certs as Uint8Array[]).map((c) => Buffer.from(c)),
    toBeSigned,
    signature,
  };
}

/** `CN=a, O=b` -> [['CN','a'], ['O','b']] (a `\,` stays inside a value). */
export function parseDn(text: string): [string, string][] {
  return text
    .split(/(?<!\\),/)
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const eq = part.indexOf('=');
      if (eq <= 0) throw new Error(`${part} is not TYPE=value`);
      return [part.slice(0, eq).trim().toUpperCase(), part.slice(eq + 1).trim().replace(/\\,/g, ',')];
    });
}

/** A trustedIdentities entry's RDNs (null for `*`); throws when it is neither. */
export function parseTrustedIdentity(entry: string): [string, string][] | null {
  if (entry.trim() === '*') return null;
  const m = /^x509\.subject:\s*(.+)$/.exec(entry.trim());
  if (!m) throw new Error('must be * or x509.subject: C=..., ST=..., O=..., ...');
  const rdns = parseDn(m[1]!);
  for (const needed of ['C', 'ST', 'O']) if (!rdns.some(([t]) => t === needed)) throw new Error(`must name ${needed} (Notation requires C, ST and O)`);
  return rdns;
}

/** The subject of a certificate as RDN pairs (node prints one `TYPE=value` per line). */
const subjectOf = (cert: X509Certificate): [string, string][] => cert.subject.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')).toUpperCase(), l.slice(l.indexOf('=') + 1)]);

/** Whether a scope names this repository: `*`, or `<registry>/<repository>` (the host part is not ours to check) or `<repository>`. */
export function scopeCovers(scope: string, repository: string): boolean {
  if (scope === '*') return true;
  const [first, ...rest] = scope.split('/');
  const hasHost = rest.length > 0 && (first!.includes('.') || first!.includes(':') || first === 'localhost');
  return (hasHost ? rest.join('/') : scope) === repository;
}

const storeCache = new Map<string, X509Certificate[]>();
/** The trust store's certificates; ones that do not parse are left out (the document refused them at apply). */
export function trustStoreOf(pems: readonly string[]): X509Certificate[] {
  const key = pems.join('\n');
  let store = storeCache.get(key);
  if (!store) {
    store = [];
    for (const pem of pems) {
      try {
        store.push(new X509Certificate(pem));
      } catch {
        /* counts as none */
      }
    }
    if (storeCache.size > 50) storeCache.clear();
    storeCache.set(key, store);
  }
  return store;
}

const signedBy = (cert: X509Certificate, issuer: X509Certificate) => cert.checkIssued(issuer) && cert.verify(issuer.publicKey);

/** Checks one Notation signature of `digest` in `repository` against the rule, at `now`. */
export function checkNotation(sig: NotationEnvelope, repository: string, digest: string, rule: NotationRule, now: Date): NotationCheck {
  const refuse = (problem: string): NotationCheck => ({ valid: false, problem });
  if (sig.error !== undefined || !sig.envelope) return refuse(`the signature cannot be read: ${sig.error ?? 'no envelope'}`);
  let env: Parsed;
  try {
    if (sig.mediaType === NOTATION_JWS) env = parseJws(sig.envelope);
    else if (sig.mediaType === NOTATION_COSE) env = parseCose(sig.envelope);
    else return refuse(`the envelope type ${sig.mediaType ?? 'none'} is neither ${NOTATION_JWS} nor ${NOTATION_COSE}`);
  } catch (err) {
    return refuse(`the envelope is malformed: ${(err as Error).message}`);
  }
  if (env.cty !== PAYLOAD_TYPE) return refuse(`the content type is ${String(env.cty)}, not ${PAYLOAD_TYPE}`);
  if (env.scheme !== 'notary.x509') return refuse(`the signing scheme ${String(env.scheme)} is not supported (notary.x509 is)`);
  if (!Array.isArray(env.crit) || !env.crit.includes(SIGNING_SCHEME)) return refuse(`the critical headers do not name ${SIGNING_SCHEME}`);
  const unknown = env.crit.filter((c) => !UNDERSTOOD.has(String(c)));
  if (unknown.length) return refuse(`it has critical headers this verifier does not understand (${unknown.join(', ')})`);
  const enforce = enforcementOf(rule);
  const logged: string[] = [];
  // A check the level only logs is noted and the verification goes on.
  const fails = (check: 'expiry' | 'authenticTimestamp', problem: string): NotationCheck | undefined => {
    if (enforce[check] === 'enforce') return refuse(problem);
    logged.push(`${problem} (${check}: logged)`);
    return undefined;
  };
  if (env.expiry && env.expiry.getTime() <= now.getTime()) {
    const refused = fails('expiry', `the signature expired at ${env.expiry.toISOString()}`);
    if (refused) return refused;
  }
  if (!env.signingTime) return refuse(`it has no ${SIGNING_TIME}`);
  let chain: X509Certificate[];
  try {
    chain = env.chain.map((der) => new X509Certificate(der));
  } catch (err) {
    return refuse(`a certificate of the chain does not parse: ${(err as Error).message}`);
  }
  const leaf = chain[0]!;
  const key = createPublicKey(leaf.publicKey.export({ type: 'spki', format: 'pem' }));
  if (algOf(key) !== env.alg) return refuse(`the algorithm ${env.alg} is not the signing key's (${algOf(key) ?? 'unsupported key'})`);
  if (!verifies(env.alg, env.toBeSigned, env.signature, key)) return refuse('the signature does not verify with the signing certificate (altered payload or another key)');
  // The chain: each certificate signed by the next, until one is signed by (or is) a trust store certificate.
  const store = trustStoreOf(rule.trustStore);
  let anchored = false;
  for (let i = 0; i < chain.length && !anchored; i++) {
    const cert = chain[i]!;
    if (store.some((ca) => ca.raw.equals(cert.raw) || signedBy(cert, ca))) anchored = true;
    else if (i + 1 < chain.length && !signedBy(cert, chain[i + 1]!)) return refuse(`the certificate chain is broken at ${cert.subject.replace(/\n/g, ', ')}`);
  }
  if (!anchored) return refuse('the certificate chain does not lead to a certificate of the trust store');
  if (leaf.ca) return refuse('the signing certificate is a CA certificate');
  if (leaf.keyUsage?.length && !leaf.keyUsage.includes(CODE_SIGNING)) return refuse('the signing certificate is not for code signing (extended key usage)');
  // The time the chain must be valid at: a countersignature's, when the rule trusts its TSA.
  let at = now;
  if (env.timestamp && rule.tsaTrustStore?.length) {
    const t = checkTimestampToken(env.timestamp, Buffer.from(env.signature), trustStoreOf(rule.tsaTrustStore));
    if (!t.valid) return refuse(`its timestamp countersignature is not trusted: ${t.problem}`);
    at = t.time;
  }
  for (const cert of chain) {
    if (at < new Date(cert.validFrom) || at > new Date(cert.validTo)) {
      const when = at === now ? 'now' : `at its trusted signing time ${at.toISOString()}`;
      const refused = fails('authenticTimestamp', `the certificate ${cert.subject.replace(/\n/g, ', ')} is not valid ${when} (valid ${new Date(cert.validFrom).toISOString()} to ${new Date(cert.validTo).toISOString()})`);
      if (refused) return refused;
    }
  }
  let target: { targetArtifact?: { digest?: unknown } };
  try {
    target = JSON.parse(env.payload.toString('utf8'));
  } catch {
    return refuse('the signed payload is not JSON');
  }
  const signed = target?.targetArtifact?.digest;
  if (signed !== digest) return refuse(`it signs another artifact (${typeof signed === 'string' ? signed : 'no digest'})`);
  if (!rule.registryScopes.some((s) => scopeCovers(s, repository))) return refuse(`the trust policy's registryScopes do not cover ${repository}`);
  const subject = subjectOf(leaf);
  const trusted = rule.trustedIdentities.some((entry) => {
    let rdns: [string, string][] | null;
    try {
      rdns = parseTrustedIdentity(entry);
    } catch {
      return false;
    }
    return rdns === null || rdns.every(([t, v]) => subject.some(([st, sv]) => st === t && sv === v));
  });
  const who = subject.map(([t, v]) => `${t}=${v}`).join(', ');
  if (!trusted) return refuse(`the signer ${who} is not in trustedIdentities`);
  return { valid: true, identity: `x509.subject: ${who}`, ...(logged.length ? { logged } : {}) };
}
