/**
 * `GET /v2/<name>/tags/list[?n=&last=]`: tags in lexical order, paged with a `Link` header.
 * Left out: tags the gate hides, and tags whose tag or manifest has listEnabled=false.
 * A repository that does not exist, or in which the gate shows the caller nothing, is NAME_UNKNOWN.
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import type { ListableTag } from '../metadata/metadata-store.ts';
import { registryError } from '../errors/registry-error.ts';
import { repositoryName } from './params.ts';
import { collectPage, nextLink, pageRequest } from './pagination.ts';

export function registerTags(app: FastifyInstance, services: Services) {
  const { store } = services;
  app.route({
    method: 'GET',
    url: '/v2/:name/tags/list',
    config: { access: { kind: 'repository', action: 'pull' } },
    handler: async (request, reply) => {
      const name = repositoryName(request);
      const page = pageRequest(request);
      if (!(await store.repositories.get(name))) throw registryError('NAME_UNKNOWN', `repository ${name} is not known to the registry`, { name });
      // One statement per page: names and digests of tags whose tag and manifest are listable
      // (listEnabled checked in SQL), then the gate once for the whole batch.
      const { items, more } = await collectPage<ListableTag>(
        page,
        (after, limit) => store.tags.listListable(name, { ...(after ? { last: after } : {}), n: limit }),
        (batch) => services.gate.visibleTags(request.access, name, batch),
        (t) => t.name,
      );
      // A repository in which the caller can see nothing does not exist for it (as in the
      // catalog and /acr/v1). Asked only for an empty page, so a normal list costs nothing more.
      if (items.length === 0 && (await services.gate.visibleRepositories(request.access, [name])).length === 0) {
        throw registryError('NAME_UNKNOWN', `repository ${name} is not known to the registry`, { name });
      }
      if (more) reply.header('Link', nextLink(`/v2/${name}/tags/list`, page.n, items.at(-1)!.name));
      return reply.type('application/json').send({ name, tags: items.map((t) => t.name) });
    },
  });
}
