/**
 * `GET /v2/_catalog[?n=&last=]`: repository names in lexical order, paged with a `Link`
 * header. Left out: repositories with listEnabled=false and those the gate says hold nothing
 * visible to the caller.
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { nextLink, pageRequest } from './pagination.ts';
import { serve } from '../http/route-table.ts';
import { distributionRoutes } from './route-table.ts';

export function registerCatalog(app: FastifyInstance, services: Services) {
  serve(app, distributionRoutes.getCatalog, async (request, reply) => {
      const page = pageRequest(request);
      const { items, more } = await services.registry.as(request.access).listRepositories(page);
      if (more) reply.header('Link', nextLink('/v2/_catalog', page.n, items.at(-1)!));
      return reply.type('application/json').send({ repositories: items });
    });
}
