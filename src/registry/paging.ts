/**
 * Pages of filtered lists. Lists are filtered after they are read (the gate, listEnabled), so
 * a page is assembled from as many store pages as it takes to find `n` visible entries, and
 * `more` says whether a VISIBLE entry follows: a cursor (`Link`, `next`) is only ever the
 * last item shown, never a row the caller was not shown.
 */
import type { ListPage, Page } from './registry.ts';

const MAX_BATCH = 1000;

/**
 * `fetch(after, limit)` reads the store in order strictly after `after`; `visible` filters a
 * batch (keeping order); `key` is an entry's cursor value. `scanLimit` bounds how many rows
 * one call reads (a page cut short by it has `more: false`).
 */
export async function collectPage<T>(
  page: ListPage,
  fetch: (after: string | undefined, limit: number) => Promise<T[]>,
  visible: (batch: T[]) => Promise<T[]>,
  key: (item: T) => string,
  scanLimit = Number.POSITIVE_INFINITY,
): Promise<Page<T>> {
  if (page.n <= 0) return { items: [], more: false };
  const items: T[] = [];
  const batchSize = Math.min(MAX_BATCH, Math.max(page.n + 1, 100));
  let after = page.last;
  for (let scanned = 0; scanned < scanLimit; ) {
    const batch = await fetch(after, batchSize);
    if (batch.length === 0) break;
    scanned += batch.length;
    after = key(batch.at(-1)!);
    items.push(...(await visible(batch)));
    if (items.length > page.n || batch.length < batchSize) break;
  }
  return { items: items.slice(0, page.n), more: items.length > page.n };
}
