/**
 * /acr/v1/{name}: repository attributes (GET), changeable attributes (PATCH, metadata_write)
 * and repository delete (DELETE, delete; 202 with ACR's DeletedRepository body).
 *
 * A repository the caller can see nothing of answers NAME_UNKNOWN (the gate). For callers
 * without quarantine read, with the policy on, manifestCount and tagCount count released
 * manifests and their tags only: counts of held content are not theirs to know.
 * Deleting is refused (OPERATION_DISALLOWED) when the repository, or any manifest or tag in
 * it, has deleteEnabled=false; the lifecycle raises the `delete` events in the same transaction.
 * The response (ACR's DeletedRepository) names only the manifests, and tags of manifests, the
 * gate lets the caller see: deleting held content does not reveal its digests or tag names.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import type { RepositoryRecord } from '../metadata/metadata-store.ts';
import { registryError } from '../errors/registry-error.ts';
import { repositoryName } from '../distribution/params.ts';
import { requireAttribute } from '../distribution/attributes.ts';
import { requestFacts } from '../http/request-context.ts';
import { registryName, repositoryAttributes } from './shapes.ts';
import { visibleRepository } from './lookup.ts';
import { parseAttributePatch } from './attribute-patch.ts';

async function attributesResponse(services: Services, request: FastifyRequest, repo: RepositoryRecord) {
  const counts = (await services.gate.hidesHeld(request.access, repo.name)) ? await services.store.verdicts.releasedCounts(repo.name) : await services.store.repositories.counts(repo.name);
  return repositoryAttributes(registryName(services.config, request), repo, counts);
}

export function registerRepositoryResource(app: FastifyInstance, services: Services) {
  const { store } = services;

  app.get('/acr/v1/:name', { config: { access: { kind: 'repository', action: 'metadata_read' } } }, async (request) => {
    const name = repositoryName(request);
    return attributesResponse(services, request, await visibleRepository(services, request, name));
  });

  app.patch('/acr/v1/:name', { config: { access: { kind: 'repository', action: 'metadata_write' } }, bodyLimit: 4096 }, async (request) => {
    const name = repositoryName(request);
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw registryError('BAD_REQUEST', 'the body must be a JSON object');
    const patch = parseAttributePatch(body as Record<string, unknown>);
    await visibleRepository(services, request, name);
    const updated = await store.repositories.updateAttributes(name, patch);
    if (!updated) throw registryError('NAME_UNKNOWN', undefined, { name });
    return attributesResponse(services, request, updated);
  });

  app.delete('/acr/v1/:name', { config: { access: { kind: 'repository', action: 'delete' } } }, async (request, reply) => {
    const name = repositoryName(request);
    // What the response may name, asked of the gate before the transaction (the gate reads
    // outside it; a manifest pushed in between is simply not named).
    const shown = new Set((await services.gate.visibleManifests(request.access, name, await store.manifests.list(name, {}))).map((m) => m.digest as string));
    const result = await store.transaction(async (tx) => {
      const repo = await tx.repositories.get(name);
      if (!repo) return undefined;
      requireAttribute('deleteEnabled', [[`repository ${name}`, repo]]);
      const manifests = await tx.manifests.list(name, {});
      for (const m of manifests) requireAttribute('deleteEnabled', [[`manifest ${m.digest}`, m]]);
      const tags = await tx.tags.list(name, {});
      for (const t of tags) requireAttribute('deleteEnabled', [[`tag ${t.name}`, t]]);
      const shownTags = new Set(tags.filter((t) => shown.has(t.digest)).map((t) => t.name));
      const removed = await tx.repositories.delete(name);
      if (!removed) return undefined;
      await services.lifecycle.repositoryDeleted(tx, {
        repository: name,
        manifests: manifests.map((m) => ({ digest: m.digest, mediaType: m.mediaType })),
        request: requestFacts(request),
      });
      return { manifests: removed.manifests.filter((d) => shown.has(d)), tags: removed.tags.filter((t) => shownTags.has(t)) };
    });
    if (!result) throw registryError('NAME_UNKNOWN', undefined, { name });
    return reply.status(202).send({ manifestsDeleted: result.manifests, tagsDeleted: result.tags });
  });
}
