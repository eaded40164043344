/**
 * From a Harbor vulnerability report to a verdict: counts per severity, the top findings,
 * pass/fail under the configured threshold (`scanner.failOn`, default Critical: an image with
 * a finding at or above it fails), and `quarantineDetails` in ACR's schema.
 *
 * Until the Release policy exists, the threshold is the whole policy. A clean image (the
 * Trivy adapter then omits `severity` and `vulnerabilities`) passes.
 */
import { createHash } from 'node:crypto';
import type { HarborVulnerabilityReport } from './harbor-api.ts';
import type { ScanSummary } from './job-store.ts';

/** Harbor's severities, lowest first; Negligible counts as Low, None and unknown strings as Unknown. */
export const SEVERITY_ORDER = ['Unknown', 'Low', 'Medium', 'High', 'Critical'] as const;
export type FailOn = 'Low' | 'Medium' | 'High' | 'Critical' | 'never';

export function normalizeSeverity(s: unknown): (typeof SEVERITY_ORDER)[number] {
  if (s === 'Negligible') return 'Low';
  return (SEVERITY_ORDER as readonly unknown[]).includes(s) ? (s as (typeof SEVERITY_ORDER)[number]) : 'Unknown';
}

const rank = (s: string) => SEVERITY_ORDER.indexOf(normalizeSeverity(s));

/** Parses and checks the report's shape; throws with a message naming the problem. */
export function parseVulnerabilityReport(text: string): HarborVulnerabilityReport {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error('the vulnerability report is not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('the vulnerability report is not a JSON object');
  const r = v as HarborVulnerabilityReport;
  if (r.vulnerabilities !== undefined && r.vulnerabilities !== null && !Array.isArray(r.vulnerabilities)) throw new Error('the report\'s vulnerabilities is not an array');
  for (const [i, f] of (r.vulnerabilities ?? []).entries()) {
    if (typeof f !== 'object' || f === null || typeof f.id !== 'string' || typeof f.package !== 'string') throw new Error(`the report's vulnerabilities[${i}] lacks id or package`);
  }
  return r;
}

export function summarize(report: HarborVulnerabilityReport, failOn: FailOn): ScanSummary {
  const counts: Record<string, number> = { Critical: 0, High: 0, Medium: 0, Low: 0, Unknown: 0 };
  const findings = report.vulnerabilities ?? [];
  for (const f of findings) counts[normalizeSeverity(f.severity)]!++;
  const failed = failOn !== 'never' && findings.some((f) => rank(f.severity ?? 'Unknown') >= rank(failOn));
  const topFindings = [...findings]
    .sort((a, b) => rank(b.severity ?? '') - rank(a.severity ?? '') || a.id.localeCompare(b.id))
    .slice(0, 10)
    .map((f) => ({ id: f.id, package: f.package, version: String(f.version ?? ''), ...(f.fix_version ? { fixVersion: f.fix_version } : {}), severity: normalizeSeverity(f.severity) }));
  const fingerprint = createHash('sha256')
    .update(JSON.stringify(findings.map((f) => [f.id, f.package, String(f.version ?? ''), normalizeSeverity(f.severity)]).sort()))
    .digest('hex');
  return { counts, failed, ...(report.severity ? { severity: report.severity } : {}), topFindings, fingerprint };
}

/** "2 Critical, 5 High" (only non-zero severities, most severe first); "no findings" when clean. */
export function countsText(counts: Record<string, number>): string {
  const parts = [...SEVERITY_ORDER].reverse().filter((s) => (counts[s] ?? 0) > 0).map((s) => `${counts[s]} ${s}`);
  return parts.length ? parts.join(', ') : 'no findings';
}

/** ACR's quarantineDetails (src/quarantine/details-schema.ts): state, link, scanner, result. */
export function quarantineDetailsOf(summary: ScanSummary, facts: { scanner: string; scannerVersion: string; link: string; failOn: FailOn }): string {
  const c = summary.counts;
  return JSON.stringify({
    scanner: facts.scanner,
    state: summary.failed ? `scan failed: ${countsText(c)}` : `scan passed: ${countsText(c)}`,
    link: facts.link,
    result: {
      version: facts.scannerVersion,
      // ACR's schema knows None, not Unknown: findings of unknown severity are counted as None.
      summary: [
        { severity: 'Critical', count: c.Critical ?? 0 },
        { severity: 'High', count: c.High ?? 0 },
        { severity: 'Medium', count: c.Medium ?? 0 },
        { severity: 'Low', count: c.Low ?? 0 },
        { severity: 'None', count: c.Unknown ?? 0 },
      ],
      description: (summary.failed ? `fails at ${facts.failOn} or above; top: ` : 'top: ') + (summary.topFindings.slice(0, 5).map((f) => `${f.id} (${f.severity}, ${f.package} ${f.version})`).join('; ') || 'none').slice(0, 900),
    },
  });
}
