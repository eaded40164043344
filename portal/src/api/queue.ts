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

/** The verdict states a filter asks the server for (with the switch off, no verdict does not wait). */
export function statesOf(filter: QueueFilter, policyOn: boolean): string {
  const waiting = policyOn ? 'absent,Quarantined' : 'Quarantined';
  return filter === 'waiting' ? waiting : filter === 'failed' ? 'Failed' : `${waiting},Failed`;
}

export function queuePage(options: { states: string; contains?: string; last?: string; n?: number }): Promise<QueuePage> {
  const q = new URLSearchParams({ n: String(options.n ?? 100), state: options.states });
  if (options.contains?.trim()) q.set('q', options.contains.trim());
  if (options.last) q.set('last', options.last);
  return api<QueuePage>(`/api/v1/quarantine/queue?${q}`);
}
