/**
 * Manifest push: `PUT /v2/<name>/manifests/<reference>[?tag=<t>...]`.
 *
 * Steps: validate the reference; read the body (at most 4 MiB, else MANIFEST_TOO_LARGE 413);
 * digest it (sha512 when the reference is a sha512 digest, else sha256) and check a digest
 * reference matches; parse and validate (src/oci/manifest.ts); require every referenced blob
 * and child manifest in the repository (MANIFEST_BLOB_UNKNOWN; `subject` is exempt); read the
 * image config (bounded) for architecture/os; store the bytes; then, in ONE metadata
 * transaction, check the changeable attributes, record the manifest and its tags and call the
 * lifecycle hooks, so verdicts and outbox events commit with the push.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import type { ChangeableAttributes, ManifestInput } from '../metadata/metadata-store.ts';
import { registryError } from '../errors/registry-error.ts';
import { requestFacts } from '../http/request-context.ts';
import { digestOf, parseDigest, type Digest } from '../oci/digest.ts';
import { MAX_MANIFEST_BYTES } from '../oci/media-types.ts';
import { isValidTag } from '../oci/name.ts';
import {
  IMAGE_CONFIG_MEDIA_TYPES,
  MAX_IMAGE_CONFIG_BYTES,
  parseManifest,
  readImagePlatform,
  referencedBlobs,
  requiredBlobs,
  type ParsedManifest,
} from '../oci/manifest.ts';
import { locations, manifestReference, queryValues, repositoryName } from './params.ts';
import { contentLength, readBounded } from './body.ts';
import { requireAttribute } from './attributes.ts';

export function registerManifestPush(app: FastifyInstance, services: Services) {
  const { store, blobs } = services;

  async function missingReferences(name: string, m: ParsedManifest): Promise<Digest[]> {
    const missing: Digest[] = [];
    for (const d of requiredBlobs(m)) if (!(await store.blobs.get(name, d))) missing.push(d);
    for (const c of m.manifests) if (!(await store.manifests.get(name, c.digest))) missing.push(c.digest);
    return [...new Set(missing)];
  }

  async function imagePlatform(m: ParsedManifest): Promise<{ architecture?: string; os?: string }> {
    if (!m.config || !IMAGE_CONFIG_MEDIA_TYPES.has(m.config.mediaType) || m.config.size > MAX_IMAGE_CONFIG_BYTES) return {};
    const stream = await blobs.open(m.config.digest);
    if (!stream) return {};
    const bytes = await readBounded(stream, MAX_IMAGE_CONFIG_BYTES);
    stream.destroy();
    return bytes ? readImagePlatform(bytes) : {};
  }

  function tagsOf(request: FastifyRequest, ref: ReturnType<typeof manifestReference>): string[] {
    const extra = queryValues(request, 'tag');
    for (const t of extra) if (!isValidTag(t)) throw registryError('TAG_INVALID', `invalid tag: ${JSON.stringify(t.slice(0, 200))}`, { tag: t.slice(0, 200) });
    return [...new Set([...(ref.kind === 'tag' ? [ref.tag] : []), ...extra])];
  }

  app.route({
    method: 'PUT',
    url: '/v2/:name/manifests/:reference',
    config: { access: { kind: 'repository', action: 'push' } },
    handler: async (request, reply) => {
      const name = repositoryName(request);
      const ref = manifestReference(request);
      const tags = tagsOf(request, ref);
      const declared = contentLength(request);
      if (declared !== undefined && declared > MAX_MANIFEST_BYTES) throw registryError('MANIFEST_TOO_LARGE', undefined, { size: declared, limit: MAX_MANIFEST_BYTES });
      const bytes = await readBounded(request.raw, MAX_MANIFEST_BYTES);
      if (!bytes) throw registryError('MANIFEST_TOO_LARGE', undefined, { limit: MAX_MANIFEST_BYTES });
      if (bytes.length === 0) throw registryError('MANIFEST_INVALID', 'the manifest body is empty');

      const algorithm = ref.kind === 'digest' ? parseDigest(ref.digest)!.algorithm : 'sha256';
      const digest = digestOf(bytes, algorithm);
      if (ref.kind === 'digest' && ref.digest !== digest) {
        throw registryError('DIGEST_INVALID', `the manifest's digest is ${digest}, not ${ref.digest}`, { digest: ref.digest, actual: digest });
      }
      const m = parseManifest(bytes, request.headers['content-type']);
      const missing = await missingReferences(name, m);
      if (missing.length > 0) {
        throw registryError('MANIFEST_BLOB_UNKNOWN', `manifest references ${missing.length === 1 ? 'a blob or manifest' : `${missing.length} blobs or manifests`} unknown to repository ${name}: ${missing.slice(0, 5).join(', ')}`, { digest: missing[0], missing });
      }
      const platform = await imagePlatform(m);
      await blobs.put(digest, Readable.from([bytes]), bytes.length);

      const sizes = m.kind === 'index' ? m.manifests.map((c) => c.size) : [m.config?.size ?? 0, ...m.layers.map((l) => l.size)];
      const input: ManifestInput = {
        digest,
        mediaType: m.mediaType,
        size: bytes.length,
        ...(m.artifactType ? { artifactType: m.artifactType } : {}),
        ...(m.subject ? { subject: m.subject.digest } : {}),
        ...(m.config ? { configDigest: m.config.digest, configMediaType: m.config.mediaType } : {}),
        ...platform,
        imageSize: bytes.length + sizes.reduce((a, b) => a + b, 0),
        blobs: referencedBlobs(m),
        children: m.manifests.map((c) => ({
          digest: c.digest,
          ...(c.platform?.architecture ? { architecture: c.platform.architecture } : {}),
          ...(c.platform?.os ? { os: c.platform.os } : {}),
        })),
        ...(m.annotations ? { annotations: m.annotations } : {}),
      };

      const facts = requestFacts(request);
      await store.transaction(async (tx) => {
        const existing = await tx.manifests.get(name, digest);
        // Decision: a write-locked repository, manifest or tag refuses every push that would
        // touch it, even one that changes nothing (as ACR does with writeEnabled=false).
        const holders: [string, ChangeableAttributes | undefined][] = [
          [`repository ${name}`, await tx.repositories.get(name)],
          [`manifest ${digest}`, existing],
        ];
        for (const t of tags) {
          const current = await tx.tags.get(name, t);
          holders.push([`tag ${t}`, current]);
          if (current && current.digest !== digest) holders.push([`manifest ${current.digest}`, await tx.manifests.get(name, current.digest)]);
        }
        requireAttribute('writeEnabled', holders);
        await tx.repositories.ensure(name);
        const { created } = await tx.manifests.put(name, input);
        for (const t of tags) await tx.tags.put(name, t, digest);
        const event = { repository: name, digest, mediaType: m.mediaType, size: bytes.length, created, request: facts };
        if (tags.length === 0) await services.lifecycle.pushed(tx, event);
        for (const t of tags) await services.lifecycle.pushed(tx, { ...event, tag: t });
      });

      reply.code(201).header('Location', locations.manifest(name, digest)).header('Docker-Content-Digest', digest);
      if (m.subject) reply.header('OCI-Subject', m.subject.digest);
      return reply.header('Content-Length', 0).send();
    },
  });
}
