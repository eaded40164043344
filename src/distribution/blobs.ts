/**
 * Blobs: `GET|HEAD|DELETE /v2/<name>/blobs/<digest>`.
 *
 * A blob is readable from a repository only when the repository links it (uploaded or mounted
 * there) and the gate allows it. Decision: manifests are not readable through the blobs
 * endpoint (they are not linked as blobs), so the gate's blob rule never has to reason about
 * manifest bytes. DELETE unlinks the blob from the repository; the bytes stay until garbage
 * collection decides.
 */
import { pipeline } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import type { ReadMethod } from '../registry/index.ts';
import { registryError } from '../errors/index.ts';
import { repositoryName, requireDigest, type Params } from './params.ts';
import { decideRange } from './byte-range.ts';
import { registerReadRoutes } from './read-routes.ts';
import { serve } from '../http/route-table.ts';
import { givesBuffersBack } from '../storage/read-buffers.ts';
import { distributionRoutes } from './route-table.ts';


export function registerBlobs(app: FastifyInstance, services: Services) {
  const { registry } = services;
  const s3 = services.config.storage.s3;
  // storage.s3.redirect: GETs answer 307 to a presigned URL (docs/scale-out.md).
  const redirect = services.config.storage.driver === 's3' && s3?.redirect ? { seconds: s3.redirectTtlSeconds } : undefined;

  async function read(request: FastifyRequest, reply: FastifyReply, method: ReadMethod) {
    const name = repositoryName(request);
    const digest = requireDigest((request.params as Params).digest);
    const blob = await registry.as(request.access).readBlob(name, digest, method);
    reply.header('Docker-Content-Digest', digest);
    reply.header('ETag', `"${digest}"`);
    reply.header('Accept-Ranges', 'bytes');
    reply.header('Cache-Control', 'max-age=31536000');
    reply.type('application/octet-stream');
    if (method === 'HEAD') {
      reply.header('Content-Length', blob.size);
      return reply.code(200).send();
    }
    const range = decideRange(request.headers.range, blob.size);
    if (range.kind === 'unsatisfiable') {
      throw registryError('RANGE_INVALID', `range ${request.headers.range} is outside the blob (${blob.size} bytes)`, { size: blob.size }, {
        'Content-Range': `bytes */${blob.size}`,
      });
    }
    const span = range.kind === 'partial' ? { start: range.start, end: range.end } : undefined;
    if (redirect && blob.presignedUrl && blob.size > 0) {
      return reply.code(307).header('Location', await blob.presignedUrl(redirect.seconds)).header('Content-Length', 0).send();
    }
    const stream = await blob.open(span);
    if (span) {
      reply.code(206);
      reply.header('Content-Range', `bytes ${span.start}-${span.end}/${blob.size}`);
      reply.header('Content-Length', span.end - span.start + 1);
    } else {
      reply.code(200);
      reply.header('Content-Length', blob.size);
    }
    // The read buffers go back to their pool once the response has written them (read-buffers.ts).
    return reply.send(pipeline(stream, givesBuffersBack(reply.raw), () => undefined));
  }

  registerReadRoutes(app, distributionRoutes.getBlob, distributionRoutes.headBlob, read);
  serve(app, distributionRoutes.deleteBlob, async (request, reply) => {
      await registry.as(request.access).deleteBlob(repositoryName(request), requireDigest((request.params as Params).digest));
      return reply.code(202).header('Content-Length', 0).send();
    });
}
