/**
 * /acr/v1/{name}/_tags: list tag attributes (`digest=` filter, n/last/orderby + Link), read,
 * PATCH (changeable attributes, metadata_write) and DELETE (delete; 202 as ACR) one tag.
 * Tags of held manifests are left out of the list and look absent when read or deleted, for
 * callers without quarantine read; tags with listEnabled=false are left out of the list.
 * Deleting a tag raises no event (ACR: tag deletes are not `delete` events).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import type { TagView } from '../registry/index.ts';
import { registryError } from '../errors/registry-error.ts';
import { repositoryName, queryValue, requireDigest } from '../distribution/params.ts';
import { acrNextLink, acrPageRequest, nameSegment } from './listing.ts';
import { registryName, tagAttributes } from './shapes.ts';
import { pathTag } from './params.ts';
import { parseAttributePatch } from './attribute-patch.ts';

function tagResponse(services: Services, request: FastifyRequest, view: TagView) {
  return {
    registry: registryName(services.config, request),
    imageName: view.tag.repository,
    tag: tagAttributes(view.tag, view.verdict),
  };
}

export function registerTagResources(app: FastifyInstance, services: Services) {
  const { registry } = services;

  app.get('/acr/v1/:name/_tags', { config: { access: { kind: 'repository', action: 'metadata_read' } } }, async (request, reply) => {
    const name = repositoryName(request);
    const page = acrPageRequest(request, true);
    const rawDigest = queryValue(request, 'digest');
    const digest = rawDigest ? requireDigest(rawDigest, 'digest') : undefined;
    const { items, more } = await registry.as(request.access).listTags(name, { ...page, ...(digest ? { digest } : {}) });
    if (more) reply.header('Link', acrNextLink(`/acr/v1/${nameSegment(name)}/_tags`, page, items.at(-1)!.tag.name, digest ? { digest } : {}));
    return {
      registry: registryName(services.config, request),
      imageName: name,
      tags: items.map((v) => tagAttributes(v.tag, v.verdict)),
    };
  });

  app.get('/acr/v1/:name/_tags/:reference', { config: { access: { kind: 'repository', action: 'metadata_read' } } }, async (request) => {
    return tagResponse(services, request, await registry.as(request.access).tag(repositoryName(request), pathTag(request)));
  });

  app.patch('/acr/v1/:name/_tags/:reference', { config: { access: { kind: 'repository', action: 'metadata_write' } }, bodyLimit: 4096 }, async (request) => {
    const name = repositoryName(request);
    const tagName = pathTag(request);
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw registryError('BAD_REQUEST', 'the body must be a JSON object');
    const patch = parseAttributePatch(body as Record<string, unknown>);
    return tagResponse(services, request, await registry.as(request.access).updateTag(name, tagName, patch));
  });

  app.delete('/acr/v1/:name/_tags/:reference', { config: { access: { kind: 'repository', action: 'delete' } } }, async (request, reply) => {
    await registry.as(request.access).deleteTag(repositoryName(request), pathTag(request));
    return reply.status(202).send();
  });
}
