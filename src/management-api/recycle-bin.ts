/**
 * /api/v1/recycle-bin: soft-deleted manifests (docs/storage-lifecycle.md "Soft delete").
 * Owner only (registry `admin`); the registry service checks it again.
 *
 * - GET /api/v1/recycle-bin `?repository=&n=&last=`: the entries, by repository then digest.
 * - POST /api/v1/recycle-bin/restore `{ repository, digest }`: the manifest and its free tags back.
 * - POST /api/v1/recycle-bin/purge `{ repository, digest }`: gone for good (GC frees its blobs).
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import type { RecycledManifest, RecycledView } from '../registry/index.ts';
import { registryError } from '../errors/index.ts';
import { isValidRepositoryName } from '../oci/index.ts';
import { isDigest, type Digest } from '../oci/index.ts';
import { declareRoutes, serve } from '../http/route-table.ts';
import { requestFacts } from '../http/request-context.ts';
import { PurgeAnswer, RecycleBinPage, RecycleBinQuery, RecycleBinTarget, RestoreAnswer } from './recycle-bin-schemas.ts';

const access = { kind: 'registry', action: 'admin' } as const;
const tags = ['operations'];

/** The routes of this file (the route table: src/http/route-table.ts). */
export const recycleBinRoutes = declareRoutes({
  getRecycleBin: { method: 'GET', url: '/api/v1/recycle-bin', api: 'api', access, tags, summary: 'Soft-deleted manifests in the recycle bin', schema: { querystring: RecycleBinQuery, response: { 200: RecycleBinPage } } },
  restoreRecycled: { method: 'POST', url: '/api/v1/recycle-bin/restore', api: 'api', access, tags, bodyLimit: 4096, summary: 'Restore a soft-deleted manifest with the tags it had that are still free', schema: { body: RecycleBinTarget, response: { 200: RestoreAnswer } } },
  purgeRecycled: { method: 'POST', url: '/api/v1/recycle-bin/purge', api: 'api', access, tags, bodyLimit: 4096, summary: 'Delete a soft-deleted manifest for good', schema: { body: RecycleBinTarget, response: { 200: PurgeAnswer } } },
});

const entryJson = (e: RecycledManifest | RecycledView) => ({
  repository: e.repository,
  digest: e.digest,
  mediaType: e.mediaType,
  size: e.size,
  tags: e.tags.map((t) => t.name),
  deletedAt: e.deletedAt.toISOString(),
  deletedBy: e.deletedBy,
  expiresAt: e.expiresAt.toISOString(),
  quarantineState: ('quarantineState' in e ? e.quarantineState : undefined) ?? null,
});

function target(body: { repository: string; digest: string }): { repository: string; digest: Digest } {
  if (!isValidRepositoryName(body.repository)) throw registryError('BAD_REQUEST', 'repository is not a repository name', { field: 'repository' });
  if (!isDigest(body.digest)) throw registryError('BAD_REQUEST', 'digest is not a digest (sha256:<64 hex>)', { field: 'digest' });
  return { repository: body.repository, digest: body.digest };
}

export function registerRecycleBinRoutes(app: FastifyInstance, services: Services) {
  serve(app, recycleBinRoutes.getRecycleBin, async (request) => {
    const q = request.query;
    if (q.repository !== undefined && !isValidRepositoryName(q.repository)) throw registryError('BAD_REQUEST', 'repository is not a repository name', { field: 'repository' });
    const { entries, next } = await services.registry.as(request.access).recycleBin({ n: q.n ?? 100, ...(q.repository ? { repository: q.repository } : {}), ...(q.last ? { last: q.last } : {}) });
    return { days: services.config.recycleBin.days, entries: entries.map(entryJson), ...(next ? { next } : {}) };
  });

  serve(app, recycleBinRoutes.restoreRecycled, async (request) => {
    const { repository, digest } = target(request.body);
    const result = await services.registry.as(request.access).restoreManifest(repository, digest, requestFacts(request));
    return { restored: entryJson(result.entry), tags: result.tags, skippedTags: result.skippedTags };
  });

  serve(app, recycleBinRoutes.purgeRecycled, async (request) => {
    const { repository, digest } = target(request.body);
    return { purged: entryJson(await services.registry.as(request.access).purgeManifest(repository, digest, requestFacts(request))) };
  });
}
