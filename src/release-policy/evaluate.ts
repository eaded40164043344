/**
 * Evaluating a release policy against what is known about one image. Pure: the input is
 * gathered beforehand (./evaluation-input.ts), so a dry run, a re-evaluation and the scan's
 * verdict all decide the same way, and the cost is measured in bench/ without I/O.
 *
 * Each rule gives one of three outcomes:
 * - passed;
 * - failed: the image breaks it (a finding above the threshold, a CEL expression that is false)
 *   -> the verdict is Failed;
 * - pending: it cannot be decided yet or not from what is there (no scan report yet, the report
 *   unreadable, no valid signature yet, no SBOM yet, a CEL expression that errors) -> the image
 *   stays Quarantined. Fail closed: pending never releases, and it says which rule and why.
 * The verdict: every rule passed -> Passed; any failed -> Failed; otherwise Quarantined.
 */
import type { plan } from '@bufbuild/cel';
import { loadPolicyLibraries, policyLibraries } from './libraries.ts';
import type { PolicyDocument, PolicyRule, PolicySeverity } from './document.ts';
import { durationMs } from './document.ts';
import type { ExceptionRecord, RuleResult } from './policy-store.ts';
import { trustedKeys, type CosignSignature } from './cosign.ts';
import { SIGNATURE_SCHEMES } from './document.ts';
import { checkSignatures } from './signatures.ts';
import type { SigstoreBundleArtifact } from './sigstore.ts';
import type { NotationEnvelope } from './notation.ts';
import { ruleKind } from './views.ts';
import { matchesPolicyPattern } from './patterns.ts';
import type { Attestation } from './attestations.ts';
import { celAttestations, provenanceRule } from './provenance.ts';
import { celVex, describeStatement, trustedVex, vexException, type VexReferrer, type VexStatement } from './vex.ts';

export const FINDING_SEVERITIES = ['Unknown', 'Low', 'Medium', 'High', 'Critical'] as const;
export type FindingSeverity = (typeof FINDING_SEVERITIES)[number];

export interface Finding {
  id: string;
  package: string;
  version: string;
  severity: FindingSeverity;
  fixVersion?: string;
}

export interface SbomPackage {
  name: string;
  version: string;
  purl?: string;
  type?: string;
}

export interface EvaluationInput {
  repository: string;
  digest: string;
  mediaType: string;
  artifactType?: string;
  annotations: Record<string, string>;
  config?: { labels: Record<string, string>; architecture?: string; os?: string };
  /** The newest vulnerability report; undefined: none yet. `error`: it exists but cannot be read. */
  report?: { findings: Finding[]; createdAt: Date; scanner?: string } | { error: string };
  /** The newest attached SBOM (CycloneDX or SPDX JSON), its packages. */
  sbom?: { artifactType: string; packages: SbomPackage[] } | { error: string; artifactType: string };
  signatures: CosignSignature[];
  /** Problems reading signature artifacts (fail closed: reported with the rule). */
  signatureErrors: string[];
  /** Sigstore bundle referrers (keyless cosign, ./sigstore.ts). */
  bundles?: SigstoreBundleArtifact[];
  /** The image manifest's bytes, read when a bundle may sign them. */
  manifestBytes?: Buffer;
  /** Notation signature referrers (./notation.ts). */
  notation?: NotationEnvelope[];
  /** Active exceptions (not expired, approved). Which apply is decided here. */
  exceptions: ExceptionRecord[];
  /** In-toto attestations of the image (`.att` tag and referrers), unverified: rules verify them (./attestations.ts). */
  attestations?: Attestation[];
  /** Problems reading attestation artifacts (fail closed: reported with the rule). */
  attestationErrors?: string[];
  /** OpenVEX referrers of the image with their signatures; which are trusted is decided here (the rule's keys). */
  vex?: VexReferrer[];
  now: Date;
}

export interface EvaluationResult {
  state: 'Passed' | 'Failed' | 'Quarantined';
  passed: boolean;
  rules: RuleResult[];
}

const rank = (s: string) => FINDING_SEVERITIES.indexOf(s as FindingSeverity);
/** maxSeverity None allows nothing of known severity; Unknown never counts against a threshold. */
const thresholdRank = (s: PolicySeverity) => (s === 'None' ? 0 : rank(s));

const globCache = new Map<string, RegExp>();
function globMatch(glob: string, name: string): boolean {
  if (!glob.includes('*')) return glob === name;
  let re = globCache.get(glob);
  if (!re) {
    re = new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    if (globCache.size > 1000) globCache.clear();
    globCache.set(glob, re);
  }
  return re.test(name);
}

/** Whether an exception covers a finding of this image. */
export function exceptionApplies(e: ExceptionRecord, vulnerability: string, repository: string, digest: string, now: Date): boolean {
  if (e.status !== 'active' || e.expiresAt <= now || e.vulnerability !== vulnerability) return false;
  if (e.scope === 'all') return true;
  if (e.scope === 'digest') return e.digest === digest && (e.repository === undefined || e.repository === repository);
  return e.repository !== undefined && matchesPolicyPattern(e.repository, repository);
}

const short = (list: string[], n = 10) => (list.length > n ? `${list.slice(0, n).join(', ')} and ${list.length - n} more` : list.join(', '));

function vulnerabilitiesRule(rule: PolicyRule, input: EvaluationInput): Omit<RuleResult, 'rule' | 'kind'> & { pending?: boolean } {
  const v = rule.vulnerabilities!;
  const report = input.report;
  if (!report) return { passed: false, pending: true, reason: 'no vulnerability report yet: the image has not been scanned (held until it is)' };
  if ('error' in report) return { passed: false, pending: true, reason: `the vulnerability report cannot be read: ${report.error}` };
  if (v.maxReportAge && input.now.getTime() - report.createdAt.getTime() > durationMs(v.maxReportAge)) {
    return { passed: false, pending: true, reason: `the vulnerability report is older than ${v.maxReportAge} (made ${report.createdAt.toISOString()}): rescan it` };
  }
  const excepted: string[] = [];
  const usedExceptions = new Set<string>();
  const vex = v.vex ? trustedVex(input.vex ?? [], input.attestations ?? [], [v.vex], input) : undefined;
  const vexUsed = new Map<string, VexStatement>();
  const counting = report.findings.filter((f) => {
    if (v.ignorePackages?.some((g) => globMatch(g, f.package))) return false;
    if (v.fixableOnly && !f.fixVersion) return false;
    const e = input.exceptions.find((x) => exceptionApplies(x, f.id, input.repository, input.digest, input.now));
    if (e) {
      excepted.push(f.id);
      usedExceptions.add(e.id);
      return false;
    }
    const statement = vex && vexException(vex.statements, f);
    if (statement) {
      vexUsed.set(`${f.id} in ${f.package} ${f.version}`, statement);
      return false;
    }
    return true;
  });
  const problems: string[] = [];
  const offending: Finding[] = [];
  if (v.maxSeverity && v.maxSeverity !== 'Critical') {
    const limit = thresholdRank(v.maxSeverity);
    const above = counting.filter((f) => rank(f.severity) > limit || (v.maxSeverity === 'None' && f.severity !== 'Unknown'));
    if (above.length) {
      offending.push(...above);
      const bySeverity = [...FINDING_SEVERITIES].reverse().map((s) => [s, above.filter((f) => f.severity === s).length] as const).filter(([, n]) => n > 0);
      problems.push(`${bySeverity.map(([s, n]) => `${n} ${s}`).join(', ')} finding(s) above ${v.maxSeverity}${v.fixableOnly ? ' with a fix' : ''}: ${short(above.map((f) => `${f.id} in ${f.package} ${f.version}`), 5)}`);
    }
  }
  for (const [severity, max] of Object.entries(v.maxCount ?? {})) {
    const found = counting.filter((f) => f.severity === severity);
    if (max !== undefined && found.length > max) {
      offending.push(...found);
      problems.push(`${found.length} ${severity} finding(s), at most ${max} allowed`);
    }
  }
  const evidence: Record<string, unknown> = {
    findings: report.findings.length,
    ...(offending.length ? { offending: [...new Set(offending.map((f) => f.id))].slice(0, 20) } : {}),
    ...(excepted.length ? { excepted: [...new Set(excepted)].slice(0, 20), exceptions: [...usedExceptions].slice(0, 20) } : {}),
    ...(vexUsed.size ? { vex: [...vexUsed].slice(0, 20).map(([finding, st]) => ({ finding, status: st.status, ...(st.justification ? { justification: st.justification } : {}), author: st.author, document: st.document, statement: st.index, referrer: st.referrer })) } : {}),
    ...(vex?.ignored.length ? { vexIgnored: vex.ignored.slice(0, 10) } : {}),
  };
  const vexNote = vexUsed.size ? `; ${vexUsed.size} finding(s) excepted by VEX: ${short([...vexUsed].map(([finding, st]) => `${finding}: ${describeStatement(st)}`), 3)}` : '';
  if (problems.length) return { passed: false, reason: `${problems.join('; ')}${vexNote}`, evidence };
  const suffix = excepted.length ? ` (${new Set(excepted).size} finding(s) excepted: ${short([...new Set(excepted)], 5)})` : '';
  return { passed: true, reason: `${report.findings.length} finding(s), none over the limits${suffix}${vexNote}`, evidence };
}

function signaturesRule(rule: PolicyRule, input: EvaluationInput): Omit<RuleResult, 'rule' | 'kind'> & { pending?: boolean } {
  const s = rule.signatures!;
  const checked = checkSignatures(s, input);
  const identities = new Set(checked.filter((c) => c.verified).map((c) => c.identity));
  const refused = checked.filter((c) => !c.verified).map((c) => `${c.manifest.slice(0, 19)} (${c.scheme}): ${c.problem}`);
  const logged = checked.flatMap((c) => (c.logged ?? []).map((l) => `${c.manifest.slice(0, 19)} (${c.scheme}): ${l}`));
  const schemes = SIGNATURE_SCHEMES.filter((k) => s[k] !== undefined);
  const evidence = {
    identities: [...identities].map((id) => (id.startsWith('key:') ? id.slice(0, 20) : id)),
    // Which artifact proved which identity: the image's history names the signer of each.
    verified: checked.filter((c) => c.verified).slice(0, 10).map((c) => ({ manifest: c.manifest, scheme: c.scheme, identity: c.identity.startsWith('key:') ? c.identity.slice(0, 20) : c.identity })),
    found: checked.length,
    ...(refused.length ? { refused: refused.slice(0, 10) } : {}),
    ...(logged.length ? { logged: logged.slice(0, 10) } : {}),
    ...(input.signatureErrors.length ? { errors: input.signatureErrors.slice(0, 5) } : {}),
  };
  // A rule with keys only says "keys", as it always did; with other schemes it names them.
  const by = schemes.length === 1 && s.cosign ? 'by trusted keys' : `by trusted identities (${schemes.join(', ')})`;
  const loggedNote = logged.length ? `; logged, not enforced: ${short(logged, 2)}` : '';
  if (identities.size >= s.min) return { passed: true, reason: `${identities.size} valid signature(s) ${by} (${s.min} required)${loggedNote}`, evidence };
  const why = s.cosign && !s.keyless && trustedKeys(s.cosign.keys).length === 0 ? 'the rule has no usable public key' : checked.length === 0 ? `no ${schemes.join(' or ')} signature found` : `${checked.length} signature(s) found, ${identities.size} valid: ${short(refused, 3)}`;
  const errors = input.signatureErrors.length ? `; ${short(input.signatureErrors, 2)}` : '';
  return { passed: false, pending: true, reason: `needs ${s.min} valid signature(s) ${by}: ${why}${errors}`, evidence };
}

function sbomRule(rule: PolicyRule, input: EvaluationInput): Omit<RuleResult, 'rule' | 'kind'> & { pending?: boolean } {
  const s = rule.sbom!;
  if (!s.required) return { passed: true, reason: 'no SBOM required' };
  const sbom = input.sbom;
  if (!sbom || !s.artifactTypes.includes(sbom.artifactType)) return { passed: false, pending: true, reason: `no SBOM attached (${s.artifactTypes.join(' or ')})` };
  if ('error' in sbom) return { passed: false, pending: true, reason: `the SBOM cannot be read: ${sbom.error}` };
  return { passed: true, reason: `SBOM attached (${sbom.artifactType}, ${sbom.packages.length} package(s))` };
}

/**
 * What the CEL `signatures` input is checked against: every signatures rule of the policy
 * together (all their keys; the first keyless and the first notation configuration).
 */
function signaturesOfPolicy(policy: PolicyDocument): NonNullable<PolicyRule['signatures']> {
  const rules = policy.rules.flatMap((r) => (r.signatures ? [r.signatures] : []));
  const keys = rules.flatMap((r) => r.cosign?.keys ?? []);
  const keyless = rules.find((r) => r.keyless)?.keyless;
  const notation = rules.find((r) => r.notation)?.notation;
  return { min: 1, ...(keys.length ? { cosign: { keys } } : {}), ...(keyless ? { keyless } : {}), ...(notation ? { notation } : {}) };
}

/** What a CEL expression sees (docs/release-policy.md "CEL input"). */
export function celInput(input: EvaluationInput, policy: PolicyDocument) {
  const report = input.report && !('error' in input.report) ? input.report : undefined;
  const counts: Record<string, number> = { Critical: 0, High: 0, Medium: 0, Low: 0, Unknown: 0 };
  for (const f of report?.findings ?? []) counts[f.severity] = (counts[f.severity] ?? 0) + 1;
  const sbom = input.sbom && !('error' in input.sbom) ? input.sbom : undefined;
  return {
    manifest: { repository: input.repository, digest: input.digest, mediaType: input.mediaType, artifactType: input.artifactType ?? '', annotations: input.annotations },
    config: { labels: input.config?.labels ?? {}, architecture: input.config?.architecture ?? '', os: input.config?.os ?? '' },
    annotations: input.annotations,
    vulnerabilities: { scanned: report !== undefined, counts, findings: (report?.findings ?? []).map((f) => ({ id: f.id, package: f.package, version: f.version, severity: f.severity, fixVersion: f.fixVersion ?? '' })) },
    sbom: { present: sbom !== undefined, artifactType: sbom?.artifactType ?? '', packages: (sbom?.packages ?? []).map((p) => ({ name: p.name, version: p.version, purl: p.purl ?? '', type: p.type ?? '' })) },
    signatures: checkSignatures(signaturesOfPolicy(policy), input).map((c) => ({ manifest: c.manifest, scheme: c.scheme, storage: c.storage, verified: c.verified, identity: c.identity, key: c.identity.startsWith('key:') ? c.identity.slice(4) : '' })),
    attestations: celAttestations(input.attestations ?? [], input.digest, policy),
    vex: celVex(trustedVex(input.vex ?? [], input.attestations ?? [], policy.rules.flatMap((r) => (r.vulnerabilities?.vex ? [r.vulnerabilities.vex] : [])), input).statements),
    exceptions: input.exceptions.map((e) => ({ id: e.id, vulnerability: e.vulnerability, scope: e.scope, expires: e.expiresAt.toISOString() })),
    now: input.now.toISOString(),
  };
}

const plans = new Map<string, ReturnType<typeof plan>>();
function planOf(expr: string) {
  let p = plans.get(expr);
  if (!p) {
    const { plan, celEnv, parse } = policyLibraries().cel;
    p = plan(celEnv(), parse(expr));
    if (plans.size > 1000) plans.clear();
    plans.set(expr, p);
  }
  return p;
}

function celRule(rule: PolicyRule, bindings: () => Record<string, unknown>): Omit<RuleResult, 'rule' | 'kind'> & { pending?: boolean } {
  let result;
  try {
    result = (planOf(rule.cel!) as (ctx: Record<string, unknown>) => unknown)(bindings());
  } catch (err) {
    return { passed: false, pending: true, reason: `the expression cannot be evaluated: ${(err as Error).message}` };
  }
  if (policyLibraries().cel.isCelError(result)) return { passed: false, pending: true, reason: `the expression cannot be evaluated: ${result.message}` };
  if (result === true) return { passed: true, reason: `true: ${rule.cel}` };
  if (result === false) return { passed: false, reason: `false: ${rule.cel}` };
  return { passed: false, pending: true, reason: `the expression must give true or false, not ${typeof result}` };
}

/** Evaluates a policy for one image (asynchronous only to load the libraries on first use, ./libraries.ts). */
export async function evaluatePolicy(policy: PolicyDocument, input: EvaluationInput): Promise<EvaluationResult> {
  await loadPolicyLibraries();
  let bindings: Record<string, unknown> | undefined;
  const celBindings = () => (bindings ??= celInput(input, policy));
  let failed = false;
  let pending = false;
  const rules: RuleResult[] = policy.rules.map((rule) => {
    const r = rule.vulnerabilities ? vulnerabilitiesRule(rule, input) : rule.signatures ? signaturesRule(rule, input) : rule.sbom ? sbomRule(rule, input) : rule.provenance ? provenanceRule(rule, input) : celRule(rule, celBindings);
    if (!r.passed) {
      if (r.pending) pending = true;
      else failed = true;
    }
    const { pending: p, ...rest } = r;
    return { rule: rule.name, kind: ruleKind(rule), ...rest, ...(p ? { pending: true } : {}) };
  });
  const state = failed ? 'Failed' : pending ? 'Quarantined' : 'Passed';
  return { state, passed: state === 'Passed', rules };
}
