/**
 * The quarantine queue, one server page at a time (GET /api/v1/quarantine/queue): held
 * manifests oldest first with `waiting` and their newest scan job, filtered by state and by
 * "repository name contains" on the server, paged with its keyset cursor. The registry shows
 * each identity only rows of repositories where it may read held content (or all, with
 * configure); the browser aggregates nothing. Types are the server's schemas.
 */
import type { Static } from 'typebox';
import type { QueuePage as QueuePageSchema, QueueRow as QueueRowSchema } from '../../../src/management-api/quarantine-schemas.ts';
import { api } from './client.ts';

export type QueueRow = Static<typeof QueueRowSchema>;
export type QueuePage = Static<typeof QueuePageSchema>;
export type QueueFilter = 'waiting' | 'failed' | 'all';

/**
 * What a filter asks the server. "Waiting" is the server's `waiting=true`: the registry decides
 * what waits (Quarantined, or no verdict where the switch or a release policy gates the
 * repository), the portal never does. "All" is that plus Failed.
 */
export function filterQuery(filter: QueueFilter): Record<string, string> {
  if (filter === 'failed') return { state: 'Failed' };
  return filter === 'waiting' ? { waiting: 'true' } : { state: 'absent,Quarantined,Failed', waiting: 'true' };
}

export function queuePage(options: { filter: QueueFilter; contains?: string; last?: string; n?: number }): Promise<QueuePage> {
  const q = new URLSearchParams({ n: String(options.n ?? 100), ...filterQuery(options.filter) });
  if (options.contains?.trim()) q.set('q', options.contains.trim());
  if (options.last) q.set('last', options.last);
  return api<QueuePage>(`/api/v1/quarantine/queue?${q}`);
}
