/**
 * GET /acr/v1/_catalog: repository names (registry:catalog), n/last + Link. Left out:
 * repositories with listEnabled=false and those in which the gate shows the caller nothing.
 * An empty result is `{"repositories": null}`, as ACR answers (real recording).
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { collectPage } from '../distribution/pagination.ts';
import { acrNextLink, acrPageRequest } from './listing.ts';

export function registerCatalogResource(app: FastifyInstance, services: Services) {
  const { store } = services;
  app.get('/acr/v1/_catalog', { config: { access: { kind: 'registry', action: 'catalog' } } }, async (request, reply) => {
    const page = acrPageRequest(request, false);
    const { items, more } = await collectPage(
      page,
      (after, n) => store.repositories.list({ n, ...(after !== undefined ? { last: after } : {}) }),
      async (batch) => {
        const visible = await services.gate.visibleRepositories(request.access, batch);
        const kept: string[] = [];
        for (const name of visible) if ((await store.repositories.get(name))?.listEnabled !== false) kept.push(name);
        return kept;
      },
      (name) => name,
    );
    if (more) reply.header('Link', acrNextLink('/acr/v1/_catalog', page, items.at(-1)!));
    return { repositories: items.length > 0 ? items : null };
  });
}
