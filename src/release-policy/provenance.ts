/**
 * The provenance rule (docs/release-policy.md "Provenance"): an SLSA provenance attestation of
 * the image, signed by a key the rule trusts (./attestations.ts verifies it), whose predicate
 * names the required builder and source repository.
 *
 * Outcomes, and why:
 * - pending (held) when no provenance attestation verifies: none attached yet, unsigned, signed
 *   by another key, about another image, unreadable. CI attests after the push, so "not attested
 *   yet" is a state that changes; an attestation that does not verify counts as none (as for
 *   signatures);
 * - failed when verified provenance exists but none of it satisfies the constraints: a trusted
 *   builder stating that the image was built by another builder or from another repository is
 *   a fact about this build, not something still to come (a missing builder id or source in a
 *   trusted statement fails the same way: the build did not record it);
 * - passed when at least one verified provenance statement satisfies every constraint.
 *
 * Where the predicate says it (SLSA v1 and v0.2):
 * - builder: v1 `runDetails.builder.id`; v0.2 `builder.id`;
 * - source repository: v1 `buildDefinition.externalParameters` (`source`, `source.uri`,
 *   `repository`, `workflow.repository`, `configSource.uri`) and the `git+` entries of
 *   `resolvedDependencies[].uri`; v0.2 `invocation.configSource.uri` and the `git+` entries of
 *   `materials[].uri`. Any of them may match.
 * Repository URIs are compared without `git+`, a `@ref` or `#fragment` after the path, `.git`
 * and a trailing `/`, so `git+https://github.com/org/app@refs/heads/main` is
 * `https://github.com/org/app`. Constraints may use `*` (any characters).
 */
import type { PolicyDocument, PolicyRule } from './document.ts';
import type { RuleResult } from './policy-store.ts';
import type { TrustedKey } from './cosign.ts';
import { trustedKeys } from './cosign.ts';
import { attestationName, checkAttestation, type Attestation, type InTotoStatement } from './attestations.ts';

export const SLSA_PROVENANCE_TYPES: readonly string[] = ['https://slsa.dev/provenance/v1', 'https://slsa.dev/provenance/v0.2'];

export interface ProvenanceFacts {
  predicateType: string;
  builderId?: string;
  sourceRepositories: string[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const gitUris = (list: unknown): string[] => (Array.isArray(list) ? list.map((d) => str((d as { uri?: unknown })?.uri)).filter((u): u is string => u?.startsWith('git+') === true) : []);

/** What a provenance predicate says about its builder and source. */
export function provenanceFacts(statement: InTotoStatement): ProvenanceFacts {
  const p = statement.predicate as Record<string, any> | undefined;
  if (statement.predicateType === 'https://slsa.dev/provenance/v0.2') {
    return { predicateType: statement.predicateType, ...(str(p?.builder?.id) ? { builderId: p!.builder.id } : {}), sourceRepositories: [str(p?.invocation?.configSource?.uri), ...gitUris(p?.materials)].filter((u): u is string => u !== undefined) };
  }
  const ext = p?.buildDefinition?.externalParameters;
  const sources = [str(ext?.source), str(ext?.source?.uri), str(ext?.repository), str(ext?.workflow?.repository), str(ext?.configSource?.uri), ...gitUris(p?.buildDefinition?.resolvedDependencies)];
  return { predicateType: statement.predicateType, ...(str(p?.runDetails?.builder?.id) ? { builderId: p!.runDetails.builder.id } : {}), sourceRepositories: [...new Set(sources.filter((u): u is string => u !== undefined))] };
}

/** A repository URI without `git+`, `@ref`, `#fragment`, `.git` and trailing slashes. */
export function normalizeRepository(uri: string): string {
  let u = uri.startsWith('git+') ? uri.slice(4) : uri;
  u = u.split('#')[0]!;
  const scheme = u.indexOf('://');
  const pathStart = u.indexOf('/', scheme < 0 ? 0 : scheme + 3);
  const at = pathStart < 0 ? -1 : u.indexOf('@', pathStart);
  if (at >= 0) u = u.slice(0, at);
  return u.replace(/\/+$/, '').replace(/\.git$/, '');
}

function wildcard(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(value);
}

/** Why these facts do not satisfy the rule ([] when they do). */
function contradictions(rule: NonNullable<PolicyRule['provenance']>, facts: ProvenanceFacts): string[] {
  const out: string[] = [];
  if (rule.builderId !== undefined && !(facts.builderId && wildcard(rule.builderId, facts.builderId))) out.push(facts.builderId ? `built by ${facts.builderId}, not ${rule.builderId}` : `names no builder (${rule.builderId} required)`);
  if (rule.sourceRepository !== undefined) {
    const wanted = normalizeRepository(rule.sourceRepository);
    if (!facts.sourceRepositories.some((s) => wildcard(wanted, normalizeRepository(s)))) out.push(facts.sourceRepositories.length ? `built from ${facts.sourceRepositories.slice(0, 3).join(', ')}, not ${rule.sourceRepository}` : `names no source repository (${rule.sourceRepository} required)`);
  }
  return out;
}

export interface VerifiedProvenance {
  attestation: Attestation;
  key: string;
  facts: ProvenanceFacts;
}

/** The provenance attestations among `attestations` (by the type they claim), each verified against `keys`. */
export function verifyProvenance(attestations: readonly Attestation[], digest: string, keys: readonly TrustedKey[]) {
  // By the type they claim; one that cannot be read and claims no type may be provenance too.
  const candidates = attestations.filter((a) => (a.predicateType !== undefined ? SLSA_PROVENANCE_TYPES.includes(a.predicateType) : a.error !== undefined));
  const verified: VerifiedProvenance[] = [];
  const refused: string[] = [];
  for (const a of candidates) {
    const check = checkAttestation(a, digest, keys);
    if (check.valid && SLSA_PROVENANCE_TYPES.includes(check.statement.predicateType)) verified.push({ attestation: a, key: check.key, facts: provenanceFacts(check.statement) });
    else refused.push(`${attestationName(a)}: ${check.valid ? 'not an SLSA provenance statement' : check.problem}`);
  }
  return { candidates, verified, refused };
}

/**
 * The CEL input's `attestations` (docs/release-policy.md): every attestation found, verified
 * against the keys the policy trusts for attestations (its provenance rules' and its VEX
 * trust lists'); what a statement says is given only when it verified.
 */
export function celAttestations(attestations: readonly Attestation[], digest: string, policy: PolicyDocument) {
  const keys = trustedKeys(policy.rules.flatMap((r) => [...(r.provenance?.cosign.keys ?? []), ...(r.vulnerabilities?.vex?.cosign?.keys ?? [])]));
  return attestations.map((a) => {
    const check = checkAttestation(a, digest, keys);
    const facts = check.valid && SLSA_PROVENANCE_TYPES.includes(check.statement.predicateType) ? provenanceFacts(check.statement) : undefined;
    return {
      manifest: a.source.manifest,
      scheme: a.source.scheme,
      predicateType: check.valid ? check.statement.predicateType : (a.predicateType ?? ''),
      verified: check.valid,
      key: check.valid ? check.key : '',
      builderId: facts?.builderId ?? '',
      sourceRepositories: facts?.sourceRepositories ?? [],
    };
  });
}

export function provenanceRule(rule: PolicyRule, input: { digest: string; attestations?: Attestation[]; attestationErrors?: string[] }): Omit<RuleResult, 'rule' | 'kind'> & { pending?: boolean } {
  const r = rule.provenance!;
  const keys = trustedKeys(r.cosign.keys);
  const { candidates, verified, refused } = verifyProvenance(input.attestations ?? [], input.digest, keys);
  const errors = input.attestationErrors ?? [];
  const evidence: Record<string, unknown> = {
    found: candidates.length,
    ...(verified.length ? { verified: verified.slice(0, 10).map((v) => ({ attestation: v.attestation.source.manifest, predicateType: v.facts.predicateType, key: v.key.slice(0, 16), ...(v.facts.builderId ? { builderId: v.facts.builderId } : {}), sourceRepositories: v.facts.sourceRepositories.slice(0, 5) })) } : {}),
    ...(refused.length ? { refused: refused.slice(0, 10) } : {}),
    ...(errors.length ? { errors: errors.slice(0, 5) } : {}),
  };
  if (verified.length === 0) {
    // An attestation that does not verify counts as none, so without `required` it does not hold.
    if (!r.required) return { passed: true, reason: `no verified provenance attached (not required)${refused.length ? `: ${refused.slice(0, 3).join('; ')}` : ''}`, evidence };
    const why = keys.length === 0 ? 'the rule has no usable public key' : candidates.length === 0 ? 'no SLSA provenance attestation attached' : `${candidates.length} attestation(s) found, none verified: ${refused.slice(0, 3).join('; ')}`;
    return { passed: false, pending: true, reason: `needs a signed SLSA provenance attestation by a trusted key: ${why}${errors.length ? `; ${errors.slice(0, 2).join('; ')}` : ''}`, evidence };
  }
  const judged = verified.map((v) => ({ v, problems: contradictions(r, v.facts) }));
  const good = judged.find((j) => j.problems.length === 0);
  if (good) {
    const what = [good.v.facts.builderId && `built by ${good.v.facts.builderId}`, good.v.facts.sourceRepositories[0] && `from ${good.v.facts.sourceRepositories[0]}`].filter(Boolean).join(' ');
    return { passed: true, reason: `signed SLSA provenance (${good.v.facts.predicateType})${what ? ` ${what}` : ''}, key ${good.v.key.slice(0, 16)}`, evidence };
  }
  return { passed: false, reason: `signed provenance contradicts the rule: ${judged.slice(0, 3).map((j) => `${attestationName(j.v.attestation)} ${j.problems.join(' and ')}`).join('; ')}`, evidence };
}
