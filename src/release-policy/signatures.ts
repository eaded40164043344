/**
 * Every signature of an image, checked against one signatures rule, whatever its scheme: the
 * one list the rule counts, "why held" explains and CEL sees (`signatures`).
 *
 * - cosign with keys (./cosign.ts): a `.sig` layer without a certificate, against `cosign.keys`;
 * - keyless cosign (./sigstore.ts): a Sigstore bundle referrer, or a `.sig` layer carrying a
 *   certificate, against `keyless` (trusted root and identities);
 * - Notation (./notation.ts): a JWS or COSE envelope referrer, against `notation`.
 * A signature of a scheme the rule does not configure is listed (verified: false) and says so.
 *
 * The identity `min` counts: `key:<fingerprint>` for keys, `<subject> (<issuer>)` for keyless
 * certificates, `x509.subject: <the leaf's subject>` for Notation; two signatures by one identity count once.
 */
import type { PolicyRule } from './document.ts';
import { checkSignature, payloadProblem, trustedKeys, type CosignSignature } from './cosign.ts';
import { checkBundle, checkLegacyKeyless, type KeylessRule, type SigstoreBundleArtifact } from './sigstore.ts';
import { checkNotation, type NotationEnvelope } from './notation.ts';

export type SigningScheme = 'cosign' | 'keyless' | 'notation';

export interface CheckedSignature {
  /** The signature artifact's manifest digest. */
  manifest: string;
  scheme: SigningScheme;
  /** Where it was found: cosign's tag scheme, an OCI 1.1 referrer (cosign or Notation), a Sigstore bundle referrer. */
  storage: 'tag' | 'referrer' | 'bundle';
  verified: boolean;
  /** Who signed, when verified ('' otherwise). */
  identity: string;
  /** Why it does not count, when not verified. */
  problem?: string;
  /** Checks that failed and that the rule only logs (Notation's permissive level): it counts anyway. */
  logged?: string[];
}

/** What the checks read from the evaluation input. */
export interface SignatureMaterial {
  repository: string;
  digest: string;
  signatures: CosignSignature[];
  bundles?: SigstoreBundleArtifact[];
  manifestBytes?: Buffer;
  notation?: NotationEnvelope[];
  now: Date;
}

type SignaturesRule = NonNullable<PolicyRule['signatures']>;

export function checkSignatures(rule: SignaturesRule, input: SignatureMaterial): CheckedSignature[] {
  const out: CheckedSignature[] = [];
  const keys = rule.cosign ? trustedKeys(rule.cosign.keys) : [];
  const keyless = rule.keyless as KeylessRule | undefined;
  for (const sig of input.signatures) {
    const base = { manifest: sig.source.manifest, storage: sig.source.scheme };
    if (sig.certificate) {
      if (!keyless) {
        out.push({ ...base, scheme: 'keyless', verified: false, identity: '', problem: 'a keyless signature, and the rule trusts no keyless identity' });
        continue;
      }
      const check = checkLegacyKeyless(sig, keyless);
      const problem = check.valid ? payloadProblem(sig, input.digest) : check.problem;
      out.push(check.valid && !problem ? { ...base, scheme: 'keyless', verified: true, identity: check.identity } : { ...base, scheme: 'keyless', verified: false, identity: '', problem: problem ?? '' });
      continue;
    }
    if (!rule.cosign) {
      out.push({ ...base, scheme: 'cosign', verified: false, identity: '', problem: 'a cosign key signature, and the rule trusts no key' });
      continue;
    }
    const check = keys.length ? checkSignature(sig, input.digest, keys) : { valid: false as const, problem: 'the rule has no usable public key' };
    out.push(check.valid ? { ...base, scheme: 'cosign', verified: true, identity: `key:${check.key}` } : { ...base, scheme: 'cosign', verified: false, identity: '', problem: check.problem });
  }
  for (const b of input.bundles ?? []) {
    const base = { manifest: b.source.manifest, storage: 'bundle' as const, scheme: 'keyless' as const };
    if (!keyless) {
      out.push({ ...base, verified: false, identity: '', problem: 'a Sigstore bundle, and the rule trusts no keyless identity' });
      continue;
    }
    const check = checkBundle(b, input.digest, input.manifestBytes, keyless);
    out.push(check.valid ? { ...base, verified: true, identity: check.identity } : { ...base, verified: false, identity: '', problem: check.problem });
  }
  for (const n of input.notation ?? []) {
    const base = { manifest: n.source.manifest, storage: 'referrer' as const, scheme: 'notation' as const };
    if (!rule.notation) {
      out.push({ ...base, verified: false, identity: '', problem: 'a Notation signature, and the rule has no Notation trust store' });
      continue;
    }
    const check = checkNotation(n, input.repository, input.digest, rule.notation, input.now);
    out.push(check.valid ? { ...base, verified: true, identity: check.identity, ...(check.logged ? { logged: check.logged } : {}) } : { ...base, verified: false, identity: '', problem: check.problem });
  }
  return out;
}
