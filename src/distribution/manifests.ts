/**
 * Manifests, reading and deleting: `GET|HEAD|DELETE /v2/<name>/manifests/<reference>`
 * (pushing is manifest-push.ts).
 *
 * The stored bytes are served byte for byte with the media type they were pushed with,
 * `Docker-Content-Digest` and `Content-Length`. Decision: the Accept header is not used to
 * refuse or convert (every stored type is served as stored), as zot and ACR do for OCI and
 * Docker v2 types. What may be read is the registry service's (src/registry/): visibility,
 * the gate, then the changeable attributes, so a held manifest hidden by tag never reveals
 * that it exists through an attribute error.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import type { ReadMethod } from '../registry/index.ts';
import { requestFacts } from '../http/request-context.ts';
import { manifestReference, repositoryName } from './params.ts';
import { registerReadRoutes } from './read-routes.ts';
import { serve } from '../http/route-table.ts';
import { distributionRoutes } from './route-table.ts';


export function registerManifests(app: FastifyInstance, services: Services) {
  const { registry } = services;

  async function read(request: FastifyRequest, reply: FastifyReply, method: ReadMethod) {
    const { record, body } = await registry.as(request.access).readManifest(repositoryName(request), manifestReference(request), method);
    reply.type(record.mediaType);
    reply.header('Docker-Content-Digest', record.digest);
    reply.header('ETag', `"${record.digest}"`);
    reply.header('Content-Length', record.size);
    return reply.code(200).send(body);
  }

  registerReadRoutes(app, distributionRoutes.getManifest, distributionRoutes.headManifest, read);

  serve(app, distributionRoutes.deleteManifest, async (request, reply) => {
      await registry.as(request.access).deleteManifest(repositoryName(request), manifestReference(request), requestFacts(request));
      return reply.code(202).header('Content-Length', 0).send();
    });
}
