/**
 * The operator's backlog figures, as GET /api/v1/status and GET /api/v1/summary both show them:
 * the webhook outbox, the scan backlog and when the last garbage collection that deleted (not a
 * dry run) finished. One place, so `lazaret status` and the portal's overview never disagree.
 */
import type { OperationsSnapshot } from '../persistence/index.ts';
import type { Services } from '../services.ts';

export interface OperatorFigures {
  outbox: { pending: number; oldestPendingAt: string | null; deadLetters: number };
  scanBacklog: { queued: number; running: number; oldestSince: string | null };
  lastGc: string | null;
}

export async function operatorFigures(services: Services, s: OperationsSnapshot): Promise<OperatorFigures> {
  const runs = await services.gc.runs(50);
  return {
    outbox: { pending: s.outbox.pending, oldestPendingAt: s.outbox.oldestPendingAt?.toISOString() ?? null, deadLetters: s.outbox.failed },
    scanBacklog: { queued: s.scans.queued, running: s.scans.running, oldestSince: s.scans.oldestActiveAt?.toISOString() ?? null },
    lastGc: runs.find((r) => r.status === 'done' && !r.dryRun)?.finishedAt?.toISOString() ?? null,
  };
}
