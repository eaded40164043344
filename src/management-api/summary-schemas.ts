/**
 * TypeBox schema of GET /api/v1/summary (summary.ts): the portal's overview numbers, computed
 * by the server from what the caller may see. Schema-only: the portal and the CLI import it as
 * a type (docs/architecture.md "Wire types").
 */
import { Type } from 'typebox';
import { ScannerHealthSummary } from '../scan/scan-schemas.ts';

const ByState = Type.Object({ absent: Type.Integer(), Quarantined: Type.Integer(), Passed: Type.Integer(), Failed: Type.Integer() });

export const HeldSummary = Type.Object({
  scope: Type.Union([Type.Literal('registry'), Type.Literal('repositories')], { description: 'registry: every repository (configure); repositories: those where the caller has quarantine read' }),
  repositories: Type.Integer({ description: 'repositories counted (with at least one manifest)' }),
  waiting: Type.Integer({ description: 'Quarantined, or without a verdict where the gate governs' }),
  byState: ByState,
});

/** Operator numbers: for callers with configure (they run the scanners and the webhooks). */
export const OperationsSummary = Type.Object({
  scanBacklog: Type.Object({ queued: Type.Integer(), running: Type.Integer(), oldestSince: Type.Union([Type.String(), Type.Null()]) }),
  scanners: Type.Array(ScannerHealthSummary),
  outbox: Type.Object({ pending: Type.Integer(), oldestPendingAt: Type.Union([Type.String(), Type.Null()]), deadLetters: Type.Integer() }),
  lastGc: Type.Union([Type.String(), Type.Null()], { description: 'when the last garbage collection that deleted finished' }),
});

export const Summary = Type.Object({
  policy: Type.Union([Type.Literal('enabled'), Type.Literal('disabled')], { description: 'the registry-wide quarantine switch' }),
  repositories: Type.Union([Type.Integer(), Type.Null()], { description: "the catalog's length for the caller; null without catalog" }),
  manifests: Type.Integer({ description: 'manifests the caller may see' }),
  held: Type.Union([HeldSummary, Type.Null()], { description: 'null when the caller may see held metadata of no repository' }),
  operations: Type.Union([OperationsSummary, Type.Null()], { description: 'null without configure' }),
});
