/**
 * `GET /v2/<name>/tags/list[?n=&last=]`: tags in lexical order, paged with a `Link` header.
 * Left out: tags the gate hides, and tags whose tag or manifest has listEnabled=false.
 * A repository that does not exist, or in which the gate shows the caller nothing, is NAME_UNKNOWN.
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import type { ManifestRecord, TagRecord } from '../metadata/metadata-store.ts';
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
      const manifests = new Map<string, ManifestRecord | undefined>();
      const listable = async (t: TagRecord) => {
        if (t.listEnabled === false) return false;
        if (!manifests.has(t.digest)) manifests.set(t.digest, await store.manifests.get(name, t.digest));
        return manifests.get(t.digest)?.listEnabled !== false;
      };
      const { items, more } = await collectPage<TagRecord>(
        page,
        (after, limit) => store.tags.list(name, { ...(after ? { last: after } : {}), n: limit }),
        async (batch) => {
          const kept: TagRecord[] = [];
          for (const t of batch) if (await listable(t)) kept.push(t);
          return services.gate.visibleTags(request.access, name, kept);
        },
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
