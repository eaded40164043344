/**
 * Paging of /acr/v1 lists: `n`, `last`, `orderby` (none | timedesc | timeasc) and ACR's `Link`
 * header `</acr/v1/...?last=X&n=N&orderby=O>; rel="next"` (the Azure SDK GETs the text between
 * `<` and `>` relative to the endpoint). Pages are assembled after the gate and listEnabled
 * filters (collectPage), so a `Link` is sent exactly when a visible entry follows.
 */
import type { FastifyRequest } from 'fastify';
import { registryError } from '../errors/index.ts';
import { pageRequest, type PageRequest } from '../distribution/pagination.ts';
import { queryValue } from '../distribution/params.ts';

export type OrderBy = 'none' | 'timedesc' | 'timeasc';

export interface AcrPageRequest extends PageRequest {
  orderBy: OrderBy;
}

export function acrPageRequest(request: FastifyRequest, withOrder: boolean): AcrPageRequest {
  const page = pageRequest(request);
  const raw = withOrder ? (queryValue(request, 'orderby') ?? '') : '';
  if (raw !== '' && raw !== 'none' && raw !== 'timedesc' && raw !== 'timeasc') {
    throw registryError('BAD_REQUEST', `orderby must be none, timedesc or timeasc (got ${JSON.stringify(raw.slice(0, 40))})`, { field: 'orderby' });
  }
  return { ...page, orderBy: (raw || 'none') as OrderBy };
}

/** `path` is path-absolute without a query; `extra` adds query parameters (e.g. digest). */
export function acrNextLink(path: string, page: AcrPageRequest, last: string, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({ last, n: String(page.n), orderby: page.orderBy === 'none' ? '' : page.orderBy, ...extra });
  return `<${path}?${q.toString()}>; rel="next"`;
}

/** A repository name as one path segment of a link. */
export const nameSegment = (name: string) => encodeURIComponent(name);
