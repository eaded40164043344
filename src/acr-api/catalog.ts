/**
 * GET /acr/v1/_catalog: repository names (registry:catalog), n/last + Link. Left out:
 * repositories with listEnabled=false and those in which the gate shows the caller nothing
 * (the registry service's listRepositories, as /v2/_catalog).
 * An empty result is `{"repositories": null}`, as ACR answers (real recording).
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { acrNextLink, acrPageRequest } from './listing.ts';
import { declareRoutes, serve } from '../http/route-table.ts';
import { AcrCatalog } from './acr-schemas.ts';

/** The routes of this file (the route table: src/http/route-table.ts). */
export const acrCatalogRoutes = declareRoutes({
  acrListRepositories: { method: 'GET', url: '/acr/v1/_catalog', api: 'acr', tags: ['acr/v1'], access: { kind: 'registry', action: 'catalog' }, summary: 'The repositories (ACR GetRepositories; paged: n, last, Link)', schema: { response: { 200: AcrCatalog } } },
});

export function registerCatalogResource(app: FastifyInstance, services: Services) {
  serve(app, acrCatalogRoutes.acrListRepositories, async (request, reply) => {
    const page = acrPageRequest(request, false);
    const { items, more } = await services.registry.as(request.access).listRepositories(page);
    if (more) reply.header('Link', acrNextLink('/acr/v1/_catalog', page, items.at(-1)!));
    return { repositories: items.length > 0 ? items : null };
  });
}
