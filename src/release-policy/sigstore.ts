/**
 * Keyless cosign signatures, verified with `@sigstore/verify` against a Sigstore trusted root
 * the policy names, then held to the rule's identity constraints (cosign's
 * --certificate-identity / --certificate-oidc-issuer, exact or regexp).
 *
 * What the library checks: the leaf certificate chains to a certificate authority of the
 * trusted root that was valid at the signing time; the leaf itself was valid at the signing
 * time (a Fulcio leaf lives ten minutes, so "the signing time" must come from something trusted:
 * an RFC 3161 timestamp of a timestamping authority of the root, or a transparency-log entry's
 * signed entry timestamp); the signature verifies over the signed content with the leaf's key;
 * the required number of transparency-log entries and certificate timestamps (SCTs) verify
 * against the root's logs. What this module adds: the signed content must be THIS image (a
 * message signature over its manifest bytes, or a DSSE cosign sign statement whose subject is
 * its digest), and the certificate's identity must match one of the rule's.
 *
 * Two ways a keyless signature reaches an image:
 * - a Sigstore bundle (application/vnd.dev.sigstore.bundle.v0.3+json) as an OCI 1.1 referrer,
 *   the bundle JSON its layer (cosign's new bundle format);
 * - cosign's legacy `.sig` layer (tag or referrer scheme, ./cosign.ts) carrying the leaf in the
 *   annotation `dev.sigstore.cosign/certificate`, a Rekor entry in `dev.sigstore.cosign/bundle`
 *   and/or an RFC 3161 timestamp in `dev.sigstore.cosign/rfc3161timestamp`. The chain annotation
 *   is not trusted: intermediates come from the trusted root only.
 */
import { createHash } from 'node:crypto';
import type { TransparencyLogEntry } from '@sigstore/bundle';
import type { X509Certificate } from '@sigstore/core';
import type { SignedEntity, TrustMaterial } from '@sigstore/verify';
import { policyLibraries } from './libraries.ts';
import type { CosignSignature } from './cosign.ts';

export const SIGSTORE_BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const COSIGN_CERTIFICATE_ANNOTATION = 'dev.sigstore.cosign/certificate';
export const COSIGN_REKOR_BUNDLE_ANNOTATION = 'dev.sigstore.cosign/bundle';
export const COSIGN_TIMESTAMP_ANNOTATION = 'dev.sigstore.cosign/rfc3161timestamp';
/** The predicate of the in-toto statement `cosign sign` puts in a DSSE bundle. */
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';
const IN_TOTO_PAYLOAD = 'application/vnd.in-toto+json';

/** One identity a keyless rule accepts: subject (the certificate's SAN) and OIDC issuer, each exact or a regexp. */
export interface KeylessIdentity {
  subject?: string;
  subjectRegExp?: string;
  issuer?: string;
  issuerRegExp?: string;
}

/** The `keyless` part of a signatures rule (document.ts has the schema). */
export interface KeylessRule {
  trustedRoot: unknown;
  identities: KeylessIdentity[];
  /** Transparency-log entries required (cosign's default 1). */
  tlog: number;
  /** Signed certificate timestamps (CT log) required in the leaf (cosign's default 1). */
  sct: number;
}

/** A Sigstore bundle referrer of an image, as read (the JSON, or why it could not be read). */
export interface SigstoreBundleArtifact {
  bundle?: unknown;
  error?: string;
  source: { manifest: string; scheme: 'bundle' };
}

export type KeylessCheck = { valid: true; identity: string; subject: string; issuer: string } | { valid: false; problem: string };

const rootCache = new Map<string, TrustMaterial>();

/**
 * The trust material of a trusted_root.json (an object, or its JSON text). Throws when it is
 * not one; cached per text, as a policy names the same root on every evaluation.
 */
export function trustMaterialOf(root: unknown): TrustMaterial {
  const text = typeof root === 'string' ? root : JSON.stringify(root);
  let material = rootCache.get(text);
  if (!material) {
    const json = typeof root === 'string' ? JSON.parse(root) : root;
    if (typeof json !== 'object' || json === null) throw new Error('it is not a JSON object');
    const { specs, verify } = policyLibraries();
    const parsed = specs.TrustedRoot.fromJSON(json);
    if (!parsed.certificateAuthorities.length) throw new Error('it lists no certificate authority');
    material = verify.toTrustMaterial(parsed);
    if (rootCache.size > 50) rootCache.clear();
    rootCache.set(text, material);
  }
  return material;
}

/** Why the library refused, in words a "why held" reader can act on. */
function problemOf(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { message?: string } };
  const detail = e.cause?.message ? `${e.message}: ${e.cause.message}` : (e.message ?? String(err));
  switch (e.code) {
    case 'CERTIFICATE_ERROR':
      if (/expired|not valid/.test(detail)) return `the certificate was not valid at the signing time (${detail})`;
      if (/SCT/.test(detail)) return `the certificate has too few valid certificate timestamps (${detail})`;
      return `the certificate does not chain to a certificate authority of the trusted root (${detail})`;
    case 'SIGNATURE_ERROR':
      return 'the signature does not verify with the certificate (altered payload or another key)';
    case 'TIMESTAMP_ERROR':
      return `no trusted signing time (${detail})`;
    case 'TLOG_ERROR':
      return `the transparency-log entry does not verify (${detail})`;
    default:
      return `it cannot be verified (${detail})`;
  }
}

function matches(exact: string | undefined, pattern: string | undefined, value: string): boolean {
  if (exact !== undefined) return value === exact;
  if (pattern !== undefined) return new RegExp(pattern).test(value);
  return false;
}

function verifyEntity(entity: SignedEntity, rule: KeylessRule): KeylessCheck {
  let material: TrustMaterial;
  try {
    material = trustMaterialOf(rule.trustedRoot);
  } catch (err) {
    return { valid: false, problem: `the rule's trusted root is unusable: ${(err as Error).message}` };
  }
  if (entity.timestamps.length === 0) return { valid: false, problem: 'no trusted signing time (neither an RFC 3161 timestamp nor a transparency-log entry with a signed entry timestamp)' };
  let signer;
  try {
    signer = new (policyLibraries().verify.Verifier)(material, { tlogThreshold: rule.tlog, ctlogThreshold: rule.sct, timestampThreshold: 1 }).verify(entity);
  } catch (err) {
    return { valid: false, problem: problemOf(err) };
  }
  const subject = signer.identity?.subjectAlternativeName ?? '';
  const issuer = signer.identity?.extensions?.issuer ?? '';
  if (!subject) return { valid: false, problem: 'the certificate names no identity (subject alternative name)' };
  const ok = rule.identities.some((id) => matches(id.subject, id.subjectRegExp, subject) && matches(id.issuer, id.issuerRegExp, issuer));
  if (!ok) return { valid: false, problem: `the identity ${subject} (issuer ${issuer || 'none'}) is not one the rule trusts` };
  return { valid: true, identity: `${subject} (${issuer})`, subject, issuer };
}

/**
 * Checks a Sigstore bundle referrer of `digest`. `manifest` is the image manifest's bytes (what
 * a message signature signs).
 */
export function checkBundle(artifact: SigstoreBundleArtifact, digest: string, manifest: Buffer | undefined, rule: KeylessRule): KeylessCheck {
  if (artifact.error !== undefined) return { valid: false, problem: `the bundle cannot be read: ${artifact.error}` };
  let bundle;
  try {
    bundle = policyLibraries().bundle.bundleFromJSON(artifact.bundle);
  } catch (err) {
    return { valid: false, problem: `not a Sigstore bundle: ${(err as Error).message}` };
  }
  const hex = digest.replace(/^sha256:/, '');
  if (bundle.content.$case === 'messageSignature') {
    const md = bundle.content.messageSignature.messageDigest;
    if (!md || Buffer.from(md.digest).toString('hex') !== hex || !manifest) return { valid: false, problem: `it signs another artifact (sha256:${md ? Buffer.from(md.digest).toString('hex') : 'none'})` };
  } else {
    const envelope = bundle.content.dsseEnvelope;
    if (envelope.payloadType !== IN_TOTO_PAYLOAD) return { valid: false, problem: `the DSSE payload is ${envelope.payloadType}, not an in-toto statement` };
    let statement: { predicateType?: unknown; subject?: { digest?: { sha256?: unknown } }[] };
    try {
      statement = JSON.parse(Buffer.from(envelope.payload).toString('utf8'));
    } catch {
      return { valid: false, problem: 'the DSSE payload is not JSON' };
    }
    if (statement.predicateType !== COSIGN_SIGN_PREDICATE) return { valid: false, problem: `an attestation (${String(statement.predicateType)}), not a signature` };
    if (!statement.subject?.some((s) => s?.digest?.sha256 === hex)) return { valid: false, problem: 'it signs another image (the statement\'s subject is not this digest)' };
  }
  let entity: SignedEntity;
  try {
    entity = policyLibraries().verify.toSignedEntity(bundle, manifest);
  } catch (err) {
    return { valid: false, problem: `not a usable Sigstore bundle: ${(err as Error).message}` };
  }
  return verifyEntity(entity, rule);
}

/** A cosign legacy Rekor bundle annotation as a transparency-log entry with an inclusion promise. */
function rekorEntry(annotation: string): TransparencyLogEntry {
  const b = JSON.parse(annotation) as { SignedEntryTimestamp: string; Payload: { body: string; integratedTime: number; logIndex: number; logID: string } };
  const body = Buffer.from(b.Payload.body, 'base64');
  const kind = JSON.parse(body.toString('utf8')) as { kind: string; apiVersion: string };
  return {
    logIndex: String(b.Payload.logIndex),
    logId: { keyId: Buffer.from(b.Payload.logID, 'hex') },
    kindVersion: { kind: kind.kind, version: kind.apiVersion },
    integratedTime: String(b.Payload.integratedTime),
    inclusionPromise: { signedEntryTimestamp: Buffer.from(b.SignedEntryTimestamp, 'base64') },
    inclusionProof: undefined,
    canonicalizedBody: body,
  };
}

/**
 * Checks a cosign legacy signature that carries a certificate (keyless): the payload must be a
 * simple-signing payload naming `digest` (./cosign.ts checks that part for keys and passes the
 * parsed claim here), the certificate verified as above.
 */
export function checkLegacyKeyless(sig: CosignSignature, rule: KeylessRule): KeylessCheck {
  if (!sig.certificate) return { valid: false, problem: 'it carries no certificate' };
  let certificate: X509Certificate;
  try {
    certificate = policyLibraries().core.X509Certificate.parse(sig.certificate);
  } catch (err) {
    return { valid: false, problem: `the certificate does not parse: ${(err as Error).message}` };
  }
  const raw = Buffer.from(sig.signature, 'base64');
  const payloadDigest = createHash('sha256').update(sig.payload).digest();
  const tlogEntries: TransparencyLogEntry[] = [];
  const timestamps: SignedEntity['timestamps'] = [];
  try {
    if (sig.rekorBundle) {
      const entry = rekorEntry(sig.rekorBundle);
      tlogEntries.push(entry);
      timestamps.push({ $case: 'transparency-log', tlogEntry: entry });
    }
    if (sig.rfc3161) {
      const ts = JSON.parse(sig.rfc3161) as { SignedRFC3161Timestamp?: string };
      if (typeof ts.SignedRFC3161Timestamp !== 'string') throw new Error('the timestamp annotation has no SignedRFC3161Timestamp');
      timestamps.push({ $case: 'timestamp-authority', timestamp: policyLibraries().core.RFC3161Timestamp.parse(Buffer.from(ts.SignedRFC3161Timestamp, 'base64')) });
    }
  } catch (err) {
    return { valid: false, problem: `the timestamp annotations cannot be read: ${(err as Error).message}` };
  }
  const sigstoreCrypto = policyLibraries().core.crypto;
  const entity: SignedEntity = {
    signature: {
      signature: raw,
      compareSignature: (other) => sigstoreCrypto.bufferEqual(other, raw),
      compareDigest: (other) => sigstoreCrypto.bufferEqual(other, payloadDigest),
      verifySignature: (key) => sigstoreCrypto.verify(sig.payload, key, raw),
    },
    key: { $case: 'certificate', certificate },
    tlogEntries,
    timestamps,
  };
  return verifyEntity(entity, rule);
}
