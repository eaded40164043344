/**
 * The queue's rows, from the management API's queue when the identity may read it, else
 * from a registry-wide /acr/v1 scan (which the gate already filters for this identity).
 */
import { ApiError } from './client.ts';
import { queue, type VerdictRow } from './management.ts';
import { isWaiting, scanRegistry } from './scan.ts';

export interface QueueRow {
  repository: string;
  digest: string;
  state: string;
  waiting: boolean;
  tags: string[];
  /** Push (or hold) time, ms since the epoch; 0 when unknown. */
  since: number;
  size?: number;
  /** "scanning (scanner builtin, since 10:42 UTC)", "waiting for scanner trivy: unreachable since ...", "failed: 1 Critical". */
  scanStatus?: string;
}

function toMs(v: string | number | undefined | null): number {
  if (v === undefined || v === null) return 0;
  const t = typeof v === 'number' ? v : Date.parse(v);
  return Number.isFinite(t) ? t : 0;
}

function fromVerdictRow(item: VerdictRow, policyOn: boolean): QueueRow {
  const state = item.quarantineState ?? 'none';
  return {
    repository: item.repository,
    digest: item.digest,
    state,
    waiting: isWaiting(state, policyOn),
    tags: item.tags ?? [],
    since: toMs(item.createdTime),
    ...(item.size !== undefined ? { size: item.size } : {}),
    ...(item.scan?.status ? { scanStatus: item.scan.status } : {}),
  };
}

export async function loadQueue(policyOn: boolean): Promise<{ rows: QueueRow[]; source: string; partial: boolean }> {
  try {
    const items = await queue();
    return { rows: items.map((i) => fromVerdictRow(i, policyOn)), source: 'the management API queue', partial: false };
  } catch (e) {
    // Only a registry without the queue endpoint falls back to scanning.
    if (!(e instanceof ApiError) || ![404, 405].includes(e.status)) throw e;
  }
  const scan = await scanRegistry();
  const rows = scan.manifests
    .filter((m) => isWaiting(m.state, policyOn) || m.state === 'Failed')
    .map((m) => ({
      repository: m.repository,
      digest: m.digest,
      state: m.state,
      waiting: isWaiting(m.state, policyOn),
      tags: m.tags ?? [],
      since: toMs(m.createdTime),
      ...(m.imageSize !== undefined ? { size: m.imageSize } : {}),
    }));
  return { rows, source: 'a scan of the repositories you may read', partial: scan.unreadable > 0 || scan.truncated };
}
