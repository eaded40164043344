/**
 * GET /acr/v1/_catalog: repository names (registry:catalog), n/last + Link. Left out:
 * repositories with listEnabled=false and those in which the gate shows the caller nothing
 * (the registry service's listRepositories, as /v2/_catalog).
 * An empty result is `{"repositories": null}`, as ACR answers (real recording).
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { acrNextLink, acrPageRequest } from './listing.ts';

export function registerCatalogResource(app: FastifyInstance, services: Services) {
  app.get('/acr/v1/_catalog', { config: { access: { kind: 'registry', action: 'catalog' } } }, async (request, reply) => {
    const page = acrPageRequest(request, false);
    const { items, more } = await services.registry.as(request.access).listRepositories(page);
    if (more) reply.header('Link', acrNextLink('/acr/v1/_catalog', page, items.at(-1)!));
    return { repositories: items.length > 0 ? items : null };
  });
}
