/**
 * Cosign signatures, verified cryptographically: a signature counts only when the configured
 * public key verifies it over the exact payload bytes AND the payload (cosign's "simple
 * signing" JSON) names the image's digest. Harbor counts a signature as present (its policy
 * passes when an accessory of that type exists); here a signature of another image, a tampered
 * payload or a key nobody trusts counts for nothing.
 *
 * Where signatures are found (both of cosign's schemes):
 * - the tag `sha256-<hex>.sig` in the image's repository: an OCI image manifest whose layers are
 *   payloads (`application/vnd.dev.cosign.simplesigning.v1+json`) with the base64 signature in
 *   the layer annotation `dev.cosignproject.cosign/signature`;
 * - OCI 1.1 referrers of the image with artifactType `application/vnd.dev.cosign.artifact.sig.v1+json`,
 *   same layers.
 *
 * Keys: PEM SubjectPublicKeyInfo (what `cosign generate-key-pair` writes to cosign.pub): ECDSA
 * (P-256 with SHA-256, cosign's default; P-384/P-521 with SHA-384/512), RSA (PKCS#1 v1.5, SHA-256)
 * and Ed25519. Verification is node:crypto's; nothing is hand-rolled beyond choosing the hash.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

export const COSIGN_PAYLOAD_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const COSIGN_REFERRER_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json';
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';

/** The tag cosign stores an image's signatures under. */
export const signatureTag = (digest: string) => `${digest.replace(':', '-')}.sig`;

/** One signature found for an image: the payload bytes and the signature as stored. */
export interface CosignSignature {
  payload: Buffer;
  signature: string;
  /** Where it came from: the signature manifest's digest and the scheme. */
  source: { manifest: string; scheme: 'tag' | 'referrer' };
  /** Keyless (./sigstore.ts): the leaf certificate (PEM) and the Rekor bundle / RFC 3161 timestamp annotations, as stored. */
  certificate?: string;
  rekorBundle?: string;
  rfc3161?: string;
}

export interface TrustedKey {
  key: KeyObject;
  /** sha256 of the key's DER SubjectPublicKeyInfo, hex: how reasons name keys. */
  fingerprint: string;
}

/** Parses PEM keys; unusable ones are left out (the document's warnings named them at apply). */
export function trustedKeys(pems: readonly string[]): TrustedKey[] {
  const out: TrustedKey[] = [];
  for (const pem of pems) {
    try {
      const key = createPublicKey(pem);
      out.push({ key, fingerprint: createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex') });
    } catch {
      /* not a key: counts as none */
    }
  }
  return out;
}

/** The hash a key signs with (null: the key's own, Ed25519); shared with DSSE (./attestations.ts). */
export function hashOf(key: KeyObject): string | null {
  if (key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448') return null;
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return curve === 'secp384r1' ? 'sha384' : curve === 'secp521r1' ? 'sha512' : 'sha256';
  }
  return 'sha256';
}

export type SignatureCheck = { valid: true; key: string } | { valid: false; problem: string };

/**
 * Checks one signature of `digest` against the trusted keys: the first key that verifies the
 * payload wins; then the payload must be a cosign image signature naming `digest`.
 */
export function checkSignature(sig: CosignSignature, digest: string, keys: readonly TrustedKey[]): SignatureCheck {
  let raw: Buffer;
  try {
    raw = Buffer.from(sig.signature, 'base64');
  } catch {
    return { valid: false, problem: 'the signature is not base64' };
  }
  if (raw.length === 0) return { valid: false, problem: 'the signature is empty' };
  const key = keys.find((k) => {
    try {
      return verify(hashOf(k.key), sig.payload, k.key, raw);
    } catch {
      return false;
    }
  });
  if (!key) return { valid: false, problem: 'no trusted key verifies it (wrong key or altered payload)' };
  const problem = payloadProblem(sig, digest);
  return problem ? { valid: false, problem } : { valid: true, key: key.fingerprint };
}

/**
 * Whether the signed payload is a cosign image signature naming `digest` (null: it is). Keys and
 * certificates (./sigstore.ts) both verify signatures of this payload.
 */
export function payloadProblem(sig: CosignSignature, digest: string): string | null {
  let payload: { critical?: { type?: unknown; image?: { 'docker-manifest-digest'?: unknown } } };
  try {
    payload = JSON.parse(sig.payload.toString('utf8'));
  } catch {
    return 'the signed payload is not JSON';
  }
  if (payload?.critical?.type !== COSIGN_SIGNATURE_TYPE) return `the signed payload is not a ${COSIGN_SIGNATURE_TYPE}`;
  const signed = payload.critical.image?.['docker-manifest-digest'];
  if (signed !== digest) return `it signs another image (${typeof signed === 'string' ? signed : 'no digest'})`;
  return null;
}

/** The simple-signing payload cosign signs for an image (what signers produce; tests and docs use it). */
export function simpleSigningPayload(reference: string, digest: string): Buffer {
  return Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': reference }, image: { 'docker-manifest-digest': digest }, type: COSIGN_SIGNATURE_TYPE }, optional: null }));
}
