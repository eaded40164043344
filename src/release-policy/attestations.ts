/**
 * In-toto attestations in DSSE envelopes, verified cryptographically (docs/release-policy.md
 * "Attestations"): what `cosign attest --key` produces, and what the provenance rule
 * (./provenance.ts) and VEX attestations (./vex.ts) rely on.
 *
 * Where they are found (both of cosign's schemes, as signatures are):
 * - the tag `sha256-<hex>.att` in the image's repository: an OCI image manifest whose layers
 *   (`application/vnd.dsse.envelope.v1+json`) are DSSE envelopes, one per attestation, with the
 *   statement's predicate type in the layer annotation `predicateType`;
 * - OCI 1.1 referrers of the image whose artifactType is an attestation type (cosign's, in-toto's,
 *   a Sigstore bundle's), with the same layers; a Sigstore bundle layer carries its envelope in
 *   `dsseEnvelope`.
 *
 * An attestation counts only when all of this holds:
 * 1. the envelope's payloadType is `application/vnd.in-toto+json`;
 * 2. a trusted key verifies one of its signatures over the DSSE pre-authentication encoding
 *    (PAE: `DSSEv1 <len> <payloadType> <len> <payload>`), never over the payload alone, so a
 *    signature cannot be moved to another payload type;
 * 3. the payload is an in-toto statement (v0.1 or v1) whose `subject` names this image's digest.
 * What the statement says (its predicate) is trusted only after that; before, it is read only to
 * tell which kind of attestation an unverified one claims to be (the reasons name it).
 */
import { verify } from 'node:crypto';
import { hashOf, type TrustedKey } from './cosign.ts';

export const DSSE_ENVELOPE_TYPE = 'application/vnd.dsse.envelope.v1+json';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const PREDICATE_TYPE_ANNOTATION = 'predicateType';
const STATEMENT_TYPES = new Set(['https://in-toto.io/Statement/v1', 'https://in-toto.io/Statement/v0.1']);

/** Layer media types of Sigstore bundles (their envelope is `dsseEnvelope`). */
export const SIGSTORE_BUNDLE_TYPES: ReadonlySet<string> = new Set(['application/vnd.dev.sigstore.bundle.v0.3+json', 'application/vnd.dev.sigstore.bundle+json;version=0.3']);

/** artifactTypes of OCI 1.1 referrers that carry attestations. */
export const ATTESTATION_REFERRER_TYPES: readonly string[] = ['application/vnd.dev.cosign.artifact.att.v1+json', IN_TOTO_PAYLOAD_TYPE, ...SIGSTORE_BUNDLE_TYPES];

/** The tag cosign stores an image's attestations under. */
export const attestationTag = (digest: string) => `${digest.replace(':', '-')}.att`;

export interface DsseEnvelope {
  payloadType: string;
  payload: Buffer;
  signatures: { keyid?: string; sig: string }[];
}

/** One attestation found for an image, as gathered (./evaluation-input.ts). */
export interface Attestation {
  /** Where it came from: the attestation manifest's digest, the scheme and the layer. */
  source: { manifest: string; scheme: 'tag' | 'referrer'; layer: string };
  envelope?: DsseEnvelope;
  /** It could not be read (it then counts for nothing). */
  error?: string;
  /** The statement's predicateType as the statement claims it (unverified). */
  predicateType?: string;
}

export interface InTotoStatement {
  predicateType: string;
  predicate: unknown;
  subjects: { name?: string; sha256?: string }[];
}

/** Reads a DSSE envelope (or a Sigstore bundle's) from a layer's JSON. */
export function envelopeOf(json: unknown, layerMediaType: string): DsseEnvelope {
  const raw = (SIGSTORE_BUNDLE_TYPES.has(layerMediaType) ? (json as { dsseEnvelope?: unknown })?.dsseEnvelope : json) as { payloadType?: unknown; payload?: unknown; signatures?: unknown };
  if (typeof raw?.payloadType !== 'string' || typeof raw.payload !== 'string') throw new Error('not a DSSE envelope (payloadType, payload)');
  const signatures = Array.isArray(raw.signatures) ? raw.signatures.filter((s): s is { keyid?: string; sig: string } => typeof s?.sig === 'string').map((s) => ({ sig: s.sig, ...(typeof s.keyid === 'string' && s.keyid ? { keyid: s.keyid } : {}) })) : [];
  return { payloadType: raw.payloadType, payload: Buffer.from(raw.payload, 'base64'), signatures: signatures.slice(0, 20) };
}

/** DSSE's pre-authentication encoding: what a DSSE signature signs. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

/** The in-toto statement of an envelope's payload, unverified (throws when it is not one). */
export function statementOf(envelope: DsseEnvelope): InTotoStatement {
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) throw new Error(`the envelope's payloadType is ${envelope.payloadType}, not ${IN_TOTO_PAYLOAD_TYPE}`);
  let s: { _type?: unknown; predicateType?: unknown; predicate?: unknown; subject?: unknown };
  try {
    s = JSON.parse(envelope.payload.toString('utf8'));
  } catch {
    throw new Error('the payload is not JSON');
  }
  if (!STATEMENT_TYPES.has(s?._type as string)) throw new Error('the payload is not an in-toto statement (_type)');
  if (typeof s.predicateType !== 'string') throw new Error('the statement has no predicateType');
  const subjects = Array.isArray(s.subject)
    ? s.subject.slice(0, 1000).map((x: { name?: unknown; digest?: { sha256?: unknown } }) => ({ ...(typeof x?.name === 'string' ? { name: x.name } : {}), ...(typeof x?.digest?.sha256 === 'string' ? { sha256: x.digest.sha256.toLowerCase() } : {}) }))
    : [];
  return { predicateType: s.predicateType, predicate: s.predicate, subjects };
}

export type AttestationCheck = { valid: true; key: string; statement: InTotoStatement } | { valid: false; problem: string };

/** Checks one attestation of `digest` against the trusted keys (the three conditions above). */
export function checkAttestation(att: Attestation, digest: string, keys: readonly TrustedKey[]): AttestationCheck {
  if (att.error !== undefined || !att.envelope) return { valid: false, problem: `cannot be read: ${att.error ?? 'no envelope'}` };
  const envelope = att.envelope;
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) return { valid: false, problem: `the envelope's payloadType is ${envelope.payloadType}, not ${IN_TOTO_PAYLOAD_TYPE}` };
  if (envelope.signatures.length === 0) return { valid: false, problem: 'not signed' };
  const signed = pae(envelope.payloadType, envelope.payload);
  let key: TrustedKey | undefined;
  for (const s of envelope.signatures) {
    const raw = Buffer.from(s.sig, 'base64');
    if (raw.length === 0) continue;
    key = keys.find((k) => {
      try {
        return verify(hashOf(k.key), signed, k.key, raw);
      } catch {
        return false;
      }
    });
    if (key) break;
  }
  if (!key) return { valid: false, problem: 'no trusted key verifies it (wrong key or altered payload)' };
  let statement: InTotoStatement;
  try {
    statement = statementOf(envelope);
  } catch (err) {
    return { valid: false, problem: (err as Error).message };
  }
  const hex = digest.slice('sha256:'.length);
  if (!statement.subjects.some((s) => s.sha256 === hex)) {
    const named = statement.subjects.map((s) => (s.sha256 ? `sha256:${s.sha256.slice(0, 12)}` : '(no sha256)')).slice(0, 3).join(', ');
    return { valid: false, problem: `it is about another image (${named || 'no subject'})` };
  }
  return { valid: true, key: key.fingerprint, statement };
}

/** How reasons name an attestation. */
export const attestationName = (att: Attestation) => `${att.source.manifest.slice(0, 19)}${att.source.scheme === 'tag' ? ' (.att)' : ''}`;
