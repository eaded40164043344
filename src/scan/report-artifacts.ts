/**
 * Scan reports as OCI referrers of the scanned manifest: the vulnerability report
 * (artifactType application/vnd.lazaret.vulnerability-report.v1+json, the Harbor 1.1 report as
 * received) and the SBOMs (artifactType = the document's own media type, CycloneDX or SPDX
 * JSON). Each is an OCI image manifest with an empty config, one layer holding the document,
 * and `subject` = the scanned manifest; annotations name the job, the scanner, the creation
 * time and (for a rescan) the digest of the report it supersedes.
 *
 * Decision (docs/scanning.md "Reports as referrers"): these artifacts are not scanned and get
 * no verdict of their own; their verdict FOLLOWS their subject's. The registry service writes
 * and records them (prepareReferrers, then recordReferrersIn in the transaction that sets the
 * subject's verdict; src/registry/follow.ts) and copies every later change of the subject's
 * verdict to them in that change's transaction. So quarantine readers see them at once,
 * everyone else exactly when the subject is released, and a Failed subject's reports stay
 * Failed, never pullable by pull-only principals. The orchestrator's artifacts raise no
 * webhook events (they would ask external scanners to scan a report); the `scan` event
 * announces them. Only artifacts the orchestrator recorded follow (table scan_artifacts): a
 * user's manifest with the same artifactType is an ordinary push.
 */
import type { ScanTx as StoreRoles } from './store/index.ts';
import type { ReferrerDocument } from '../registry/index.ts';

export const VULNERABILITY_REPORT_TYPE = 'application/vnd.lazaret.vulnerability-report.v1+json';
export const ANNOTATION = {
  created: 'org.opencontainers.image.created',
  job: 'io.lazaret.scan.job',
  scanner: 'io.lazaret.scan.scanner',
  supersedes: 'io.lazaret.scan.supersedes',
} as const;

export interface ReportDocument {
  artifactType: string;
  bytes: Buffer;
}

/** The report documents with the orchestrator's annotations, as the registry service writes them. */
export function annotatedReports(docs: ReportDocument[], facts: { jobId: string; scanner: string; created: Date; supersedes: Map<string, string> }): ReferrerDocument[] {
  return docs.map((doc) => {
    const annotations: Record<string, string> = { [ANNOTATION.created]: facts.created.toISOString(), [ANNOTATION.job]: facts.jobId, [ANNOTATION.scanner]: facts.scanner };
    const previous = facts.supersedes.get(doc.artifactType);
    if (previous) annotations[ANNOTATION.supersedes] = previous;
    return { ...doc, annotations };
  });
}

/** The newest orchestrator artifact of each type of a subject (what a rescan's report supersedes). */
export async function latestArtifacts(tx: StoreRoles, repository: string, subject: string): Promise<Map<string, string>> {
  const latest = new Map<string, string>();
  for (const a of await tx.scanJobs.artifactsOf(repository, subject)) latest.set(a.artifactType, a.digest);
  return latest;
}
