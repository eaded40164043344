/**
 * Manifest push: `PUT /v2/<name>/manifests/<reference>[?tag=<t>...]`.
 *
 * Steps: validate the reference; read the body (at most 4 MiB, else MANIFEST_TOO_LARGE 413);
 * digest it (sha512 when the reference is a sha512 digest, else sha256) and check a digest
 * reference matches; parse and validate (src/oci/manifest.ts); require every referenced blob
 * and child manifest in the repository (MANIFEST_BLOB_UNKNOWN; `subject` is exempt); read the
 * image config (bounded) for architecture/os; store the bytes; then, in ONE metadata
 * transaction, check the changeable attributes, record the manifest and its tags and call the
 * lifecycle hooks, so verdicts and outbox events commit with the push. Everything after the
 * parse is the registry service's (pushManifest).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import { registryError } from '../errors/index.ts';
import { requestFacts } from '../http/request-context.ts';
import { digestOf, parseDigest } from '../oci/index.ts';
import { MAX_MANIFEST_BYTES } from '../oci/index.ts';
import { isValidTag } from '../oci/index.ts';
import { parseManifest } from '../oci/index.ts';
import { locations, manifestReference, queryValues, repositoryName } from './params.ts';
import { contentLength, readBounded } from './body.ts';
import { serve } from '../http/route-table.ts';
import { distributionRoutes } from './route-table.ts';

export function registerManifestPush(app: FastifyInstance, services: Services) {
  function tagsOf(request: FastifyRequest, ref: ReturnType<typeof manifestReference>): string[] {
    const extra = queryValues(request, 'tag');
    for (const t of extra) if (!isValidTag(t)) throw registryError('TAG_INVALID', `invalid tag: ${JSON.stringify(t.slice(0, 200))}`, { tag: t.slice(0, 200) });
    return [...new Set([...(ref.kind === 'tag' ? [ref.tag] : []), ...extra])];
  }

  serve(app, distributionRoutes.putManifest, async (request, reply) => {
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
      const manifest = parseManifest(bytes, request.headers['content-type']);
      // References, attributes, storing and the lifecycle: the registry service (src/registry/writes.ts).
      await services.registry.as(request.access).pushManifest(name, { digest, bytes, manifest, tags }, requestFacts(request));

      reply.code(201).header('Location', locations.manifest(name, digest)).header('Docker-Content-Digest', digest);
      if (manifest.subject) reply.header('OCI-Subject', manifest.subject.digest);
      return reply.header('Content-Length', 0).send();
    });
}
