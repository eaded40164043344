/**
 * `n`/`last` pagination for the tags list and the catalog, with RFC 5988 `Link` headers.
 *
 * Lists are filtered after they are read (the gate, listEnabled), so a page is assembled from
 * as many store pages as it takes to find `n` visible entries; `more` tells whether a visible
 * entry exists after the page, which is exactly when a `Link: <...>; rel="next"` is sent.
 */
import type { FastifyRequest } from 'fastify';
import { registryError } from '../errors/registry-error.ts';
import { queryValue } from './params.ts';

/** Decision: pages hold at most 1000 entries; without `n` a page is the maximum. */
export const MAX_PAGE = 1000;

export interface PageRequest {
  n: number;
  last?: string;
}

export function pageRequest(request: FastifyRequest): PageRequest {
  const rawN = queryValue(request, 'n');
  let n = MAX_PAGE;
  if (rawN !== undefined && rawN !== '') {
    if (!/^\d{1,9}$/.test(rawN)) throw registryError('PAGINATION_NUMBER_INVALID', `n must be a non-negative integer, got ${JSON.stringify(rawN.slice(0, 40))}`);
    n = Math.min(Number(rawN), MAX_PAGE);
  }
  const last = queryValue(request, 'last');
  return { n, ...(last ? { last } : {}) };
}

/**
 * Collects one page. `fetch(after, limit)` reads the store in order strictly after `after`;
 * `visible` filters a batch (keeping order); `key` is an entry's cursor value.
 */
export async function collectPage<T>(
  page: PageRequest,
  fetch: (after: string | undefined, limit: number) => Promise<T[]>,
  visible: (batch: T[]) => Promise<T[]>,
  key: (item: T) => string,
): Promise<{ items: T[]; more: boolean }> {
  if (page.n === 0) return { items: [], more: false };
  const items: T[] = [];
  const batchSize = Math.min(MAX_PAGE, Math.max(page.n + 1, 100));
  let after = page.last;
  for (;;) {
    const batch = await fetch(after, batchSize);
    if (batch.length === 0) break;
    after = key(batch.at(-1)!);
    items.push(...(await visible(batch)));
    if (items.length > page.n || batch.length < batchSize) break;
  }
  return { items: items.slice(0, page.n), more: items.length > page.n };
}

/** `</v2/...?n=N&last=X>; rel="next"` (path-absolute, like every URL the registry hands out). */
export function nextLink(path: string, n: number, last: string): string {
  return `<${path}?n=${n}&last=${encodeURIComponent(last)}>; rel="next"`;
}
