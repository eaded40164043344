/**
 * Manifests, reading and deleting: `GET|HEAD|DELETE /v2/<name>/manifests/<reference>`
 * (pushing is manifest-push.ts).
 *
 * The stored bytes are served byte for byte with the media type they were pushed with,
 * `Docker-Content-Digest` and `Content-Length`. Decision: the Accept header is not used to
 * refuse or convert (every stored type is served as stored), as zot and ACR do for OCI and
 * Docker v2 types. Reads ask the gate first, then the changeable attributes, so a held
 * manifest hidden by tag never reveals that it exists through an attribute error.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import type { ReadMethod } from '../quarantine/gate.ts';
import type { ManifestHead, TagRecord } from '../metadata/metadata-store.ts';
import { registryError } from '../errors/registry-error.ts';
import { requestFacts } from '../http/request-context.ts';
import { manifestReference, repositoryName } from './params.ts';
import { requireAttribute } from './attributes.ts';
import { registerReadRoutes } from './read-routes.ts';
import { createManifestBytesCache } from './manifest-bytes.ts';

const URL = '/v2/:name/manifests/:reference';

export function registerManifests(app: FastifyInstance, services: Services) {
  const { store, blobs } = services;
  // Bytes of hot manifests (manifest-bytes.ts): consulted only after the metadata, the gate
  // and the attributes allowed the read.
  const cache = createManifestBytesCache();

  async function read(request: FastifyRequest, reply: FastifyReply, method: ReadMethod) {
    const name = repositoryName(request);
    const ref = manifestReference(request);
    let tag: TagRecord | undefined;
    if (ref.kind === 'tag') {
      tag = await store.tags.get(name, ref.tag);
      if (!tag) throw registryError('MANIFEST_UNKNOWN', `manifest tagged ${ref.tag} is not in repository ${name}`, { tag: ref.tag });
    }
    const digest = tag ? tag.digest : (ref as { digest: ManifestHead['digest'] }).digest;
    const record = await store.manifests.getHead(name, digest);
    if (!record) throw registryError('MANIFEST_UNKNOWN', undefined, tag ? { tag: ref.kind === 'tag' ? ref.tag : undefined } : { digest });
    await services.gate.checkManifestRead(request.access, record, ref.kind, method);
    requireAttribute('readEnabled', [
      [`repository ${name}`, await store.repositories.get(name)],
      [`manifest ${digest}`, record],
      ...(tag ? ([[`tag ${tag.name}`, tag]] as [string, TagRecord][]) : []),
    ]);
    reply.type(record.mediaType);
    reply.header('Docker-Content-Digest', record.digest);
    reply.header('ETag', `"${record.digest}"`);
    reply.header('Content-Length', record.size);
    if (method === 'HEAD') return reply.code(200).send();
    const cached = cache.get(record.digest);
    if (cached) return reply.code(200).send(cached);
    const stream = await blobs.open(record.digest);
    if (!stream) {
      request.log.error({ repository: name, digest }, 'manifest recorded in metadata but missing from the blob store');
      throw registryError('MANIFEST_UNKNOWN', undefined, { digest });
    }
    if (!cache.accepts(record.size)) return reply.code(200).send(stream);
    const bytes = await cache.fill(record.digest, record.size, stream);
    if (!bytes) {
      request.log.error({ repository: name, digest }, 'manifest bytes in the blob store do not match their digest or size');
      throw registryError('MANIFEST_UNKNOWN', undefined, { digest });
    }
    return reply.code(200).send(bytes);
  }

  registerReadRoutes(app, URL, read);

  app.route({
    method: 'DELETE',
    url: URL,
    config: { access: { kind: 'repository', action: 'delete' } },
    handler: async (request, reply) => {
      const name = repositoryName(request);
      const ref = manifestReference(request);
      if (ref.kind === 'tag') {
        // Tag deletes raise no event (decisions.md "Events" 4).
        const tag = await store.tags.get(name, ref.tag);
        if (!tag) throw registryError('MANIFEST_UNKNOWN', `manifest tagged ${ref.tag} is not in repository ${name}`, { tag: ref.tag });
        requireAttribute('deleteEnabled', [
          [`repository ${name}`, await store.repositories.get(name)],
          [`tag ${ref.tag}`, tag],
        ]);
        if (!(await store.tags.delete(name, ref.tag))) throw registryError('MANIFEST_UNKNOWN', undefined, { tag: ref.tag });
        return reply.code(202).header('Content-Length', 0).send();
      }
      const facts = requestFacts(request);
      await store.transaction(async (tx) => {
        const record = await tx.manifests.get(name, ref.digest);
        if (!record) throw registryError('MANIFEST_UNKNOWN', undefined, { digest: ref.digest });
        const tags = await tx.tags.list(name, { digest: ref.digest, n: 1000 });
        requireAttribute('deleteEnabled', [
          [`repository ${name}`, await tx.repositories.get(name)],
          [`manifest ${ref.digest}`, record],
          ...tags.map((t) => [`tag ${t.name}`, t] as [string, TagRecord]),
        ]);
        await tx.manifests.delete(name, ref.digest);
        await services.lifecycle.deleted(tx, { repository: name, digest: ref.digest, mediaType: record.mediaType, request: facts });
      });
      return reply.code(202).header('Content-Length', 0).send();
    },
  });
}
