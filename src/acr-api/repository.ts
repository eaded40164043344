/**
 * /acr/v1/{name}: repository attributes (GET), changeable attributes (PATCH, metadata_write)
 * and repository delete (DELETE, delete; 202 with ACR's DeletedRepository body).
 *
 * A repository the caller can see nothing of answers NAME_UNKNOWN (the gate), to reads,
 * PATCHes and DELETEs alike. For callers without quarantine read, with the policy on,
 * manifestCount, tagCount and lastUpdateTime come from released manifests and their tags
 * only: counts and times of held content are not theirs to know.
 * Deleting is refused (OPERATION_DISALLOWED) when the repository, or any manifest or tag in
 * it, has deleteEnabled=false; the lifecycle raises the `delete` events in the same transaction.
 * The response (ACR's DeletedRepository) names only the manifests, and tags of manifests, the
 * gate lets the caller see: deleting held content does not reveal its digests or tag names.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import type { RepositoryView } from '../registry/index.ts';
import { registryError } from '../errors/index.ts';
import { repositoryName } from '../distribution/params.ts';
import { requestFacts } from '../http/request-context.ts';
import { registryName, repositoryAttributes } from './shapes.ts';
import { parseAttributePatch } from './attribute-patch.ts';
import { declareRoutes, serve } from '../http/route-table.ts';
import { AcrDeletedRepository, RepositoryAttributes } from './acr-schemas.ts';

const attributesResponse = (services: Services, request: FastifyRequest, view: RepositoryView) =>
  repositoryAttributes(registryName(services.config, request), view.record, { manifestCount: view.manifestCount, tagCount: view.tagCount });

/** The routes of this file (the route table: src/http/route-table.ts). */
export const acrRepositoryRoutes = declareRoutes({
  acrGetRepository: { method: 'GET', url: '/acr/v1/:name', api: 'acr', tags: ['acr/v1'], access: { kind: 'repository', action: 'metadata_read' }, summary: "A repository's attributes and counts (ACR GetProperties)", schema: { response: { 200: RepositoryAttributes } } },
  acrUpdateRepository: { method: 'PATCH', url: '/acr/v1/:name', api: 'acr', tags: ['acr/v1'], access: { kind: 'repository', action: 'metadata_write' }, summary: "Change a repository's attributes (ACR UpdateProperties)", bodyLimit: 4096, schema: { response: { 200: RepositoryAttributes } } },
  acrDeleteRepository: { method: 'DELETE', url: '/acr/v1/:name', api: 'acr', tags: ['acr/v1'], access: { kind: 'repository', action: 'delete' }, summary: 'Delete a repository with its manifests and tags (ACR Delete)', schema: { response: { 202: AcrDeletedRepository } } },
});

export function registerRepositoryResource(app: FastifyInstance, services: Services) {
  const { registry } = services;

  serve(app, acrRepositoryRoutes.acrGetRepository, async (request) => {
    return attributesResponse(services, request, await registry.as(request.access).repository(repositoryName(request)));
  });

  serve(app, acrRepositoryRoutes.acrUpdateRepository, async (request) => {
    const name = repositoryName(request);
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw registryError('BAD_REQUEST', 'the body must be a JSON object');
    const patch = parseAttributePatch(body as Record<string, unknown>);
    return attributesResponse(services, request, await registry.as(request.access).updateRepository(name, patch));
  });

  serve(app, acrRepositoryRoutes.acrDeleteRepository, async (request, reply) => {
    const result = await registry.as(request.access).deleteRepository(repositoryName(request), requestFacts(request));
    return reply.status(202).send({ manifestsDeleted: result.manifests, tagsDeleted: result.tags });
  });
}
