/**
 * The scan orchestrator's /api/v1 endpoints (src/scan/scan-routes.ts, scanner-routes.ts;
 * docs/scanning.md): a manifest's scan jobs, a finished job's vulnerability report (Harbor's
 * report 1.1, as the scanner sent it) and the registered scanners. Jobs are visible where the
 * identity has quarantine read (or `configure`); scanners need `configure`.
 */
import { api } from './client.ts';

export type ScanJobState = 'pending' | 'submitted' | 'succeeded' | 'failed' | 'cancelled';

export interface Finding {
  id: string;
  package: string;
  version: string;
  fixVersion?: string;
  severity: string;
}

export interface ScanJob {
  id: string;
  repository: string;
  digest: string;
  kind: 'image' | 'index';
  reason: string;
  state: ScanJobState;
  scanner: string | null;
  status: string | null;
  attempts: number;
  createdAt: string;
  submittedAt: string | null;
  finishedAt: string | null;
  summary: { counts: Record<string, number>; failed: boolean; topFindings: Finding[] } | null;
  vulnerabilityDatabaseUpdatedAt: string | null;
}

/** One finding of a Harbor vulnerability report. */
export interface ReportFinding {
  id: string;
  package: string;
  version: string;
  fix_version?: string;
  severity: string;
  links?: string[];
}

export interface VulnerabilityReport {
  scanner?: { name: string; version: string };
  vulnerabilities?: ReportFinding[];
}

export interface Scanner {
  name: string;
  url: string;
  patterns: string[];
  default: boolean;
  enabled: boolean;
  health: { state: string; message?: string; checkedAt?: string; unreachableSince?: string };
  scanner?: { name: string; vendor?: string; version: string };
  vulnerabilityDatabaseUpdatedAt?: string;
}

/** The newest scan jobs of one manifest (newest first). */
export async function scansOf(repository: string, digest: string, n = 10): Promise<ScanJob[]> {
  const q = new URLSearchParams({ repository, digest, n: String(n) });
  return (await api<{ scans: ScanJob[] }>(`/api/v1/scans?${q}`)).scans;
}

export function scanReport(id: string): Promise<VulnerabilityReport> {
  return api<VulnerabilityReport>(`/api/v1/scans/${encodeURIComponent(id)}/report`);
}

export function listScanners(): Promise<Scanner[]> {
  return api<{ scanners: Scanner[] }>('/api/v1/scanners').then((b) => b.scanners);
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
