/**
 * The scan orchestrator's /api/v1 endpoints (src/scan/scan-routes.ts, scanner-routes.ts;
 * docs/scanning.md): a manifest's scan jobs, a finished job's vulnerability report (Harbor's
 * report 1.1, as the scanner sent it) and the registered scanners. Jobs are visible where the
 * identity has quarantine read (or `configure`); scanners need `configure`.
 */
import type { Static } from 'typebox';
import type * as S from '../../../src/scan/scan-schemas.ts';
import type { HarborVulnerability, HarborVulnerabilityReport } from '../../../src/scan/harbor-api.ts';
import { api } from './client.ts';

export type ScanJobState = Static<typeof S.ScanJobState>;
export type Finding = Static<typeof S.Finding>;
export type ScanJob = Static<typeof S.ScanJobView>;
export type Scanner = Static<typeof S.ScannerView>;
/** The report as the scanner sent it (Harbor's Pluggable Scanner API, report 1.1): the scanner's document, not ours. */
export type VulnerabilityReport = HarborVulnerabilityReport;
export type ReportFinding = HarborVulnerability;

/** The newest scan jobs of one manifest (newest first). */
export async function scansOf(repository: string, digest: string, n = 10): Promise<ScanJob[]> {
  const q = new URLSearchParams({ repository, digest, n: String(n) });
  return (await api<Static<typeof S.ScanJobList>>(`/api/v1/scans?${q}`)).scans;
}

export function scanReport(id: string): Promise<VulnerabilityReport> {
  return api<VulnerabilityReport>(`/api/v1/scans/${encodeURIComponent(id)}/report`);
}

export function listScanners(): Promise<Scanner[]> {
  return api<Static<typeof S.ScannerList>>('/api/v1/scanners').then((b) => b.scanners);
}

export const SEVERITIES = ['Critical', 'High', 'Medium', 'Low', 'Unknown'] as const;

/** "1 Critical, 2 High" (only the severities found); "no findings" when none. */
export function countsText(counts: Record<string, number>): string {
  const parts = SEVERITIES.filter((s) => (counts[s] ?? 0) > 0).map((s) => `${counts[s]} ${s}`);
  return parts.length ? parts.join(', ') : 'no findings';
}

/** The artifact types the orchestrator pushes as referrers (src/scan/report-artifacts.ts). */
export const REPORT_TYPES = {
  vulnerability: 'application/vnd.lazaret.vulnerability-report.v1+json',
  cyclonedx: 'application/vnd.cyclonedx+json',
  spdx: 'application/spdx+json',
} as const;
