/**
 * GET /api/v1/summary (src/management-api/summary.ts): the overview's counts, computed by the
 * server from what the signed-in identity may see. `held` is null for an identity that may see
 * held content nowhere; `operations` (scan backlog, scanner health, outbox, last GC) is null
 * without `configure`. The type is the server's schema, imported as a type only.
 */
import type { Static } from 'typebox';
import type { Summary as SummarySchema } from '../../../src/management-api/summary-schemas.ts';
import { api } from './client.ts';

export type Summary = Static<typeof SummarySchema>;
export type ScannerHealthSummary = NonNullable<Summary['operations']>['scanners'][number];

export function getSummary(): Promise<Summary> {
  return api<Summary>('/api/v1/summary');
}
