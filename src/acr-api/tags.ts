/**
 * /acr/v1/{name}/_tags: list tag attributes (`digest=` filter, n/last/orderby + Link), read,
 * PATCH (changeable attributes, metadata_write) and DELETE (delete; 202 as ACR) one tag.
 * Tags of held manifests are left out of the list and look absent when read, for callers
 * without quarantine read; tags with listEnabled=false are left out of the list.
 * Deleting a tag raises no event (ACR: tag deletes are not `delete` events).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import type { TagRecord } from '../metadata/metadata-store.ts';
import { registryError } from '../errors/registry-error.ts';
import { repositoryName, queryValue, requireDigest } from '../distribution/params.ts';
import { collectPage } from '../distribution/pagination.ts';
import { requireAttribute } from '../distribution/attributes.ts';
import { acrNextLink, acrPageRequest, nameSegment } from './listing.ts';
import { registryName, tagAttributes } from './shapes.ts';
import { pathTag, readableTag, visibleRepository } from './lookup.ts';
import { parseAttributePatch } from './attribute-patch.ts';

async function tagResponse(services: Services, request: FastifyRequest, tag: TagRecord) {
  return {
    registry: registryName(services.config, request),
    imageName: tag.repository,
    tag: tagAttributes(tag, await services.store.verdicts.get(tag.repository, tag.digest)),
  };
}

export function registerTagResources(app: FastifyInstance, services: Services) {
  const { store } = services;

  app.get('/acr/v1/:name/_tags', { config: { access: { kind: 'repository', action: 'metadata_read' } } }, async (request, reply) => {
    const name = repositoryName(request);
    await visibleRepository(services, request, name);
    const page = acrPageRequest(request, true);
    const rawDigest = queryValue(request, 'digest');
    const digest = rawDigest ? requireDigest(rawDigest, 'digest') : undefined;
    const { items, more } = await collectPage(
      page,
      (after, n) => store.tags.list(name, { orderBy: page.orderBy, n, ...(after !== undefined ? { last: after } : {}), ...(digest ? { digest } : {}) }),
      async (batch) => (await services.gate.visibleTags(request.access, name, batch)).filter((t) => t.listEnabled),
      (t) => t.name,
    );
    const verdicts = await store.verdicts.getMany(name, items.map((t) => t.digest));
    if (more) reply.header('Link', acrNextLink(`/acr/v1/${nameSegment(name)}/_tags`, page, items.at(-1)!.name, digest ? { digest } : {}));
    return {
      registry: registryName(services.config, request),
      imageName: name,
      tags: items.map((t) => tagAttributes(t, verdicts.get(t.digest))),
    };
  });

  app.get('/acr/v1/:name/_tags/:reference', { config: { access: { kind: 'repository', action: 'metadata_read' } } }, async (request) => {
    const name = repositoryName(request);
    const { tag } = await readableTag(services, request, name, pathTag(request));
    return tagResponse(services, request, tag);
  });

  app.patch('/acr/v1/:name/_tags/:reference', { config: { access: { kind: 'repository', action: 'metadata_write' } }, bodyLimit: 4096 }, async (request) => {
    const name = repositoryName(request);
    const tagName = pathTag(request);
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw registryError('BAD_REQUEST', 'the body must be a JSON object');
    const patch = parseAttributePatch(body as Record<string, unknown>);
    await readableTag(services, request, name, tagName);
    const updated = await store.tags.updateAttributes(name, tagName, patch);
    if (!updated) throw registryError('MANIFEST_UNKNOWN', `manifest tagged by "${tagName}" is not found`, { name, tag: tagName });
    return tagResponse(services, request, updated);
  });

  app.delete('/acr/v1/:name/_tags/:reference', { config: { access: { kind: 'repository', action: 'delete' } } }, async (request, reply) => {
    const name = repositoryName(request);
    const tagName = pathTag(request);
    const tag = await store.tags.get(name, tagName);
    if (!tag) {
      if (!(await store.repositories.get(name))) throw registryError('NAME_UNKNOWN', undefined, { name });
      throw registryError('MANIFEST_UNKNOWN', `manifest tagged by "${tagName}" is not found`, { name, tag: tagName });
    }
    requireAttribute('deleteEnabled', [[`repository ${name}`, await store.repositories.get(name)], [`tag ${tagName}`, tag]]);
    await store.tags.delete(name, tagName);
    return reply.status(202).send();
  });
}
