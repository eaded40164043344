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
import type { Static } from 'typebox';
import type { V2TagList } from './v2-schemas.ts';

export function registerTags(app: FastifyInstance, services: Services) {
  // The serialized body of a page, made once per page object: a cached page (the registry's
  // tag-pages.ts) is the same object on every hit, so its body is too; others are collected with it.
  const bodies = new WeakMap<readonly string[], string>();
  serve(app, distributionRoutes.getTagsList, async (request, reply) => {
      const name = repositoryName(request);
      const page = pageRequest(request);
      const { items, more } = await services.registry.as(request.access).listTagNames(name, page);
      if (more) reply.header('Link', nextLink(`/v2/${name}/tags/list`, page.n, items.at(-1)!));
      let body = bodies.get(items);
      if (body === undefined) bodies.set(items, (body = JSON.stringify({ name, tags: items as string[] } satisfies Static<typeof V2TagList>)));
      return reply.type('application/json').send(body);
    });
}
