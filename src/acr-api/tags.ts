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
import { registryError } from '../errors/index.ts';
import { repositoryName, queryValue, requireDigest } from '../distribution/params.ts';
import { acrNextLink, acrPageRequest, nameSegment } from './listing.ts';
import { registryName, tagAttributes } from './shapes.ts';
import { pathTag } from './params.ts';
import { parseAttributePatch } from './attribute-patch.ts';
import { declareRoutes, serve } from '../http/route-table.ts';
import { AcrTag, AcrTagList } from './acr-schemas.ts';

function tagResponse(services: Services, request: FastifyRequest, view: TagView) {
  return {
    registry: registryName(services.config, request),
    imageName: view.tag.repository,
    tag: tagAttributes(view.tag, view.verdict),
  };
}

/** The routes of this file (the route table: src/http/route-table.ts). */
export const acrTagRoutes = declareRoutes({
  acrListTags: { method: 'GET', url: '/acr/v1/:name/_tags', api: 'acr', tags: ['acr/v1'], access: { kind: 'repository', action: 'metadata_read' }, summary: "The repository's tags with attributes (ACR GetTags; orderby, digest, paged)", schema: { response: { 200: AcrTagList } } },
  acrGetTag: { method: 'GET', url: '/acr/v1/:name/_tags/:reference', api: 'acr', tags: ['acr/v1'], access: { kind: 'repository', action: 'metadata_read' }, summary: "A tag's attributes (ACR GetTagProperties)", schema: { response: { 200: AcrTag } } },
  acrUpdateTag: { method: 'PATCH', url: '/acr/v1/:name/_tags/:reference', api: 'acr', tags: ['acr/v1'], access: { kind: 'repository', action: 'metadata_write' }, summary: "Change a tag's attributes (ACR UpdateTagAttributes)", bodyLimit: 4096, schema: { response: { 200: AcrTag } } },
  acrDeleteTag: { method: 'DELETE', url: '/acr/v1/:name/_tags/:reference', api: 'acr', tags: ['acr/v1'], access: { kind: 'repository', action: 'delete' }, summary: 'Delete a tag (ACR DeleteTag)' },
});

export function registerTagResources(app: FastifyInstance, services: Services) {
  const { registry } = services;

  serve(app, acrTagRoutes.acrListTags, async (request, reply) => {
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

  serve(app, acrTagRoutes.acrGetTag, async (request) => {
    return tagResponse(services, request, await registry.as(request.access).tag(repositoryName(request), pathTag(request)));
  });

  serve(app, acrTagRoutes.acrUpdateTag, async (request) => {
    const name = repositoryName(request);
    const tagName = pathTag(request);
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw registryError('BAD_REQUEST', 'the body must be a JSON object');
    const patch = parseAttributePatch(body as Record<string, unknown>);
    return tagResponse(services, request, await registry.as(request.access).updateTag(name, tagName, patch));
  });

  serve(app, acrTagRoutes.acrDeleteTag, async (request, reply) => {
    await registry.as(request.access).deleteTag(repositoryName(request), pathTag(request));
    return reply.status(202).send();
  });
}
