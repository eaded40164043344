/**
 * `n`/`last` pagination for the tags list and the catalog, with RFC 5988 `Link` headers.
 * Pages are assembled by the registry service from what the caller may see
 * (src/registry/paging.ts); `more` is exactly when a `Link: <...>; rel="next"` is sent.
 */
import type { FastifyRequest } from 'fastify';
import { registryError } from '../errors/index.ts';
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

/** `</v2/...?n=N&last=X>; rel="next"` (path-absolute, like every URL the registry hands out). */
export function nextLink(path: string, n: number, last: string): string {
  return `<${path}?n=${n}&last=${encodeURIComponent(last)}>; rel="next"`;
}
