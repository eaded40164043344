/**
 * GET /api/v1/repositories/{name}/manifests/{digest}/history: an image's whole history, oldest
 * first (pushed, tags, scans, evaluations, verdicts with the policy version that decided,
 * exceptions used, signatures, deletes and restores). Needs metadata read on the repository;
 * a held image answers as a missing one to a caller without quarantine read (the registry
 * service decides: src/registry/history.ts). Paged: `n` (<= 500, default 100), `cursor`.
 */
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import type { Services } from '../services.ts';
import type { HistoryEvent as Event } from '../registry/index.ts';
import { isValidRepositoryName, parseDigest, type Digest } from '../oci/index.ts';
import { registryError } from '../errors/index.ts';
import { declareRoutes, serve } from '../http/route-table.ts';
import { type HistoryEvent, HistoryParams, HistoryQuery, ManifestHistory } from './history-schemas.ts';

/** The routes of this file (the route table: src/http/route-table.ts). */
export const historyRoutes = declareRoutes({
  getManifestHistory: {
    method: 'GET',
    url: '/api/v1/repositories/:name/manifests/:digest/history',
    api: 'api',
    access: { kind: 'repository', action: 'metadata_read' },
    tags: ['audit'],
    summary: "An image's whole history, oldest first: pushes, tags, scans, evaluations, verdicts, signatures, deletes",
    schema: { params: HistoryParams, querystring: HistoryQuery, response: { 200: ManifestHistory } },
  },
});

const eventJson = (e: Event): Static<typeof HistoryEvent> => {
  const { exceptionsUsed, ...rest } = e;
  return { ...rest, at: e.at.toISOString(), ...(exceptionsUsed ? { exceptionsUsed: exceptionsUsed.map((x) => ({ ...x, expiresAt: x.expiresAt.toISOString() })) } : {}) };
};

export function registerHistoryRoutes(app: FastifyInstance, services: Services) {
  serve(app, historyRoutes.getManifestHistory, async (request) => {
    const { name, digest } = request.params;
    if (!isValidRepositoryName(name)) throw registryError('NAME_INVALID', `invalid repository name: ${JSON.stringify(name)}`, { name });
    if (!parseDigest(digest)) throw registryError('DIGEST_INVALID', `invalid digest: ${JSON.stringify(digest)} (expected sha256:<64 hex digits>)`, { digest });
    const q = request.query;
    const page = await services.registry.as(request.access).manifestHistory(name, digest as Digest, { n: q.n ?? 100, ...(q.cursor !== undefined ? { cursor: q.cursor } : {}) });
    return {
      repository: page.record.repository,
      digest: page.record.digest,
      mediaType: page.record.mediaType,
      createdAt: page.record.createdAt.toISOString(),
      events: page.events.map(eventJson),
      ...(page.next ? { next: page.next } : {}),
    };
  });
}
