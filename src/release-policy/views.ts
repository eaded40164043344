/**
 * How policies are shown (API, CLI, portal): each rule rendered as one sentence, so a reader
 * sees what a policy requires without reading its YAML.
 */
import type { PolicyDocument, PolicyRule } from './document.ts';
import { DEFAULT_GRACE } from './document.ts';
import type { ReleasePolicyRecord } from './policy-store.ts';

export function ruleKind(rule: PolicyRule): string {
  return rule.vulnerabilities ? 'vulnerabilities' : rule.signatures ? 'signatures' : rule.sbom ? 'sbom' : rule.provenance ? 'provenance' : 'cel';
}

/** One sentence per rule. */
export function renderRule(rule: PolicyRule): string {
  if (rule.vulnerabilities) {
    const v = rule.vulnerabilities;
    const parts = ['a scan report is required'];
    if (v.maxSeverity) parts.push(v.maxSeverity === 'Critical' ? 'findings of any severity allowed' : `no finding above ${v.maxSeverity}${v.fixableOnly ? ' that has a fix' : ''}`);
    if (v.maxCount) parts.push(`at most ${Object.entries(v.maxCount).map(([s, n]) => `${n} ${s}`).join(', ')}`);
    if (v.ignorePackages?.length) parts.push(`ignoring packages ${v.ignorePackages.join(', ')}`);
    if (v.maxReportAge) parts.push(`report at most ${v.maxReportAge} old`);
    if (v.vex?.cosign) parts.push(`OpenVEX not_affected/fixed statements honoured when signed by ${v.vex.cosign.keys.length} trusted key(s)`);
    if (v.vex?.keyless) parts.push(`OpenVEX not_affected/fixed statements honoured when signed by keyless identities (${v.vex.keyless.identities.map((i) => i.subject ?? `/${i.subjectRegExp}/`).join(', ')})`);
    if (v.vex?.documents) parts.push(`OpenVEX not_affected/fixed statements of ${v.vex.documents.length} document(s) in the policy honoured`);
    return parts.join('; ');
  }
  if (rule.signatures) {
    const s = rule.signatures;
    const by = [
      ...(s.cosign ? [`${s.cosign.keys.length} trusted cosign key(s)`] : []),
      ...(s.keyless ? [`keyless identities (${s.keyless.identities.map((i) => i.subject ?? `/${i.subjectRegExp}/`).join(', ')})`] : []),
      ...(s.notation ? [`Notation signers (${s.notation.trustedIdentities.join('; ')}) of ${s.notation.trustStore.length} trusted CA(s)${s.notation.tsaTrustStore ? `, timestamps of ${s.notation.tsaTrustStore.length} trusted TSA(s)` : ''}`] : []),
    ];
    return `at least ${s.min} valid signature(s) from distinct identities: ${by.join(' or ')}`;
  }
  if (rule.sbom) return rule.sbom.required ? `an SBOM (${rule.sbom.artifactTypes.join(' or ')}) is attached` : 'no SBOM required';
  if (rule.provenance) {
    const p = rule.provenance;
    const what = [p.builderId && `built by ${p.builderId}`, p.sourceRepository && `from ${p.sourceRepository}`].filter(Boolean).join(' ');
    return `${p.required ? 'an' : 'if attached, an'} SLSA provenance attestation signed by ${p.cosign.keys.length} trusted key(s)${what ? `, ${what}` : ''}`;
  }
  return `CEL: ${rule.cel}`;
}

export function policySummary(doc: PolicyDocument) {
  return {
    repositories: doc.repositories,
    enabled: doc.enabled,
    onViolation: doc.onViolation,
    ...(doc.onViolation === 'requarantine' ? { gracePeriod: doc.gracePeriod ?? DEFAULT_GRACE } : {}),
    exceptions: doc.exceptions,
    rules: doc.rules.map((r) => ({ name: r.name, kind: ruleKind(r), text: renderRule(r) })),
  };
}

export function policyView(p: ReleasePolicyRecord, options: { source?: boolean } = {}) {
  return {
    name: p.name,
    version: p.version,
    ...(p.document.description ? { description: p.document.description } : {}),
    ...policySummary(p.document),
    updatedAt: p.updatedAt.toISOString(),
    updatedBy: p.updatedBy,
    ...(options.source ? { document: p.document, source: p.source } : {}),
  };
}
