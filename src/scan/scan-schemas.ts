/**
 * TypeBox schemas of the scan orchestrator's /api/v1 answers (scanners, scan jobs, the queue's
 * scan line). Schema-only (imports nothing but typebox): the CLI and the portal import these
 * as types (docs/architecture.md "Wire types"), and views.ts is typed from them, so a change of
 * shape fails all three type checks.
 */
import { Type } from 'typebox';

export const ScanJobState = Type.Union([Type.Literal('pending'), Type.Literal('submitted'), Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('cancelled')]);
export const ScannerHealthState = Type.Union([Type.Literal('unknown'), Type.Literal('healthy'), Type.Literal('unreachable'), Type.Literal('invalid')]);

export const ScannerHealthView = Type.Object({
  state: ScannerHealthState,
  message: Type.Optional(Type.String()),
  checkedAt: Type.Optional(Type.String()),
  unreachableSince: Type.Optional(Type.String()),
});

const AdapterIdentity = Type.Object({ name: Type.String(), vendor: Type.Optional(Type.String()), version: Type.String() });

export const ScannerView = Type.Object({
  name: Type.String(),
  url: Type.String(),
  auth: Type.Object({ type: Type.String(), hasSecret: Type.Boolean() }),
  patterns: Type.Array(Type.String()),
  default: Type.Boolean(),
  enabled: Type.Boolean(),
  health: ScannerHealthView,
  scanner: Type.Optional(AdapterIdentity),
  capabilities: Type.Optional(Type.Array(Type.Object({ type: Type.String(), produces: Type.Optional(Type.Array(Type.String())) }))),
  vulnerabilityDatabaseUpdatedAt: Type.Optional(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export const ScannerList = Type.Object({ scanners: Type.Array(ScannerView) });

export const Finding = Type.Object({ id: Type.String(), package: Type.String(), version: Type.String(), fixVersion: Type.Optional(Type.String()), severity: Type.String() });

export const ScanSummaryView = Type.Object({
  counts: Type.Record(Type.String(), Type.Integer()),
  failed: Type.Boolean(),
  topFindings: Type.Array(Finding),
  children: Type.Optional(Type.Array(Type.Object({ digest: Type.String(), state: Type.String() }))),
});

export const ScanJobView = Type.Object({
  id: Type.String(),
  repository: Type.String(),
  digest: Type.String(),
  mediaType: Type.String(),
  kind: Type.Union([Type.Literal('image'), Type.Literal('index')]),
  reason: Type.String(),
  state: ScanJobState,
  scanner: Type.Union([Type.String(), Type.Null()]),
  status: Type.Union([Type.String(), Type.Null()]),
  attempts: Type.Integer(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  submittedAt: Type.Union([Type.String(), Type.Null()]),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
  summary: Type.Union([ScanSummaryView, Type.Null()]),
  vulnerabilityDatabaseUpdatedAt: Type.Union([Type.String(), Type.Null()]),
});
export const ScanJobList = Type.Object({ scans: Type.Array(ScanJobView), next: Type.Optional(Type.String()) });

/** What the quarantine queue shows per held manifest about its newest scan job. */
export const QueueScanView = Type.Object({
  job: Type.String(),
  state: ScanJobState,
  scanner: Type.Union([Type.String(), Type.Null()]),
  status: Type.Union([Type.String(), Type.Null()]),
  counts: Type.Optional(Type.Record(Type.String(), Type.Integer())),
  topFindings: Type.Optional(Type.Array(Finding)),
});

/** One scanner as the overview shows it: health and database time, nothing of its configuration. */
export const ScannerHealthSummary = Type.Object({
  name: Type.String(),
  enabled: Type.Boolean(),
  default: Type.Boolean(),
  health: ScannerHealthView,
  scanner: Type.Optional(AdapterIdentity),
  vulnerabilityDatabaseUpdatedAt: Type.Union([Type.String(), Type.Null()]),
});

/** GET /api/v1/scans/overview: scanners' health (configure only; empty otherwise) and the visible backlog. */
export const ScansOverview = Type.Object({
  scanners: Type.Array(Type.Object({ name: Type.String(), health: ScannerHealthView, default: Type.Boolean(), vulnerabilityDatabaseUpdatedAt: Type.Union([Type.String(), Type.Null()]) })),
  scanning: Type.Integer(),
  waiting: Type.Integer(),
});
