/** JSON views of scanners and scan jobs for /api/v1 (never a scanner's secret). */
import type { ScanJob } from './job-store.ts';
import type { ScannerRecord } from './scanner-store.ts';
import type { AdapterMetadata } from './harbor-api.ts';
import type { Static } from 'typebox';
import type { QueueScanView, ScanJobView, ScannerHealthSummary, ScannerView } from './scan-schemas.ts';

export function scannerView(s: ScannerRecord): Static<typeof ScannerView> {
  const m = s.metadata as AdapterMetadata | undefined;
  return {
    name: s.name,
    url: s.url,
    auth: { type: s.authKind, hasSecret: s.authSecret !== undefined },
    patterns: s.patterns,
    default: s.isDefault,
    enabled: s.enabled,
    health: {
      state: s.health,
      ...(s.healthMessage ? { message: s.healthMessage } : {}),
      ...(s.checkedAt ? { checkedAt: s.checkedAt.toISOString() } : {}),
      ...(s.unreachableSince ? { unreachableSince: s.unreachableSince.toISOString() } : {}),
    },
    ...(m?.scanner ? { scanner: m.scanner } : {}),
    ...(m?.capabilities ? { capabilities: m.capabilities.map((c) => ({ type: c.type ?? 'vulnerability', produces: c.produces_mime_types })) } : {}),
    ...(s.dbUpdatedAt ? { vulnerabilityDatabaseUpdatedAt: s.dbUpdatedAt.toISOString() } : {}),
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

export function jobView(j: ScanJob): Static<typeof ScanJobView> {
  return {
    id: j.id,
    repository: j.repository,
    digest: j.digest,
    mediaType: j.mediaType,
    kind: j.kind,
    reason: j.reason,
    state: j.state,
    scanner: j.scanner ?? null,
    status: j.statusMessage ?? null,
    attempts: j.attempts,
    createdAt: j.createdAt.toISOString(),
    updatedAt: j.updatedAt.toISOString(),
    submittedAt: j.submittedAt?.toISOString() ?? null,
    finishedAt: j.finishedAt?.toISOString() ?? null,
    summary: j.summary ? { counts: j.summary.counts, failed: j.summary.failed, topFindings: j.summary.topFindings, ...(j.summary.children ? { children: j.summary.children } : {}) } : null,
    vulnerabilityDatabaseUpdatedAt: j.dbUpdatedAt?.toISOString() ?? null,
  };
}

/** What the quarantine queue shows per held manifest: "scanning", "waiting for scanner X: ...", "failed: 2 Critical, 5 High". */
export function queueScanView(j: ScanJob | undefined): Static<typeof QueueScanView> | null {
  if (!j) return null;
  return { job: j.id, state: j.state, scanner: j.scanner ?? null, status: j.statusMessage ?? null, ...(j.summary ? { counts: j.summary.counts, topFindings: j.summary.topFindings.slice(0, 5) } : {}) };
}

/** A scanner on the overview (GET /api/v1/summary): health and database time only. */
export function scannerHealthSummary(s: ScannerRecord): Static<typeof ScannerHealthSummary> {
  const { scanner, health } = scannerView(s);
  return { name: s.name, enabled: s.enabled, default: s.isDefault, health, ...(scanner ? { scanner } : {}), vulnerabilityDatabaseUpdatedAt: s.dbUpdatedAt?.toISOString() ?? null };
}
