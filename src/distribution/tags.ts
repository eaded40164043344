/**
 * `GET /v2/<name>/tags/list[?n=&last=]`: tags in lexical order, paged with a `Link` header.
 * Left out: tags the gate hides, and tags whose tag or manifest has listEnabled=false.
 * A repository that does not exist, or in which the gate shows the caller nothing, is NAME_UNKNOWN.
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { repositoryName } from './params.ts';
import { nextLink, pageRequest } from './pagination.ts';
import { serve } from '../http/route-table.ts';
import { distributionRoutes } from './route-table.ts';

export function registerTags(app: FastifyInstance, services: Services) {
  serve(app, distributionRoutes.getTagsList, async (request, reply) => {
      const name = repositoryName(request);
      const page = pageRequest(request);
      const { items, more } = await services.registry.as(request.access).listTagNames(name, page);
      if (more) reply.header('Link', nextLink(`/v2/${name}/tags/list`, page.n, items.at(-1)!));
      return reply.type('application/json').send({ name, tags: items });
    });
}
