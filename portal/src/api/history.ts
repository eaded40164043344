/**
 * An image's history (GET /api/v1/repositories/{name}/manifests/{digest}/history): types from
 * the route's schemas (src/management-api/history-schemas.ts), one page per call. The server
 * builds and orders the events; the portal only renders them.
 */
import type { Static } from 'typebox';
import type { HistoryEvent as HistoryEventSchema, ManifestHistory } from '../../../src/management-api/history-schemas.ts';
import { api } from './client.ts';

export type HistoryEvent = Static<typeof HistoryEventSchema>;
export type HistoryPage = Static<typeof ManifestHistory>;

const enc = (name: string) => name.split('/').map(encodeURIComponent).join('/');

export async function imageHistory(name: string, digest: string, cursor?: string, n = 100): Promise<HistoryPage> {
  const q = new URLSearchParams({ n: String(n), ...(cursor ? { cursor } : {}) });
  const body = await api<HistoryPage>(`/api/v1/repositories/${enc(name)}/manifests/${encodeURIComponent(digest)}/history?${q}`);
  return body ?? { repository: name, digest, mediaType: '', createdAt: '', events: [] };
}
