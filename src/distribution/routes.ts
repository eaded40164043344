/**
 * The /v2 API (OCI Distribution Spec 1.1 plus the Docker Registry v2 behaviours clients rely
 * on). One file per resource; this file sets up the scope they share:
 *
 * - Bodies are never parsed: every content-type parser is removed and a catch-all leaves
 *   `request.raw` unread, so blob bytes stream straight into the BlobStore and each route
 *   bounds what it reads (manifests: 4 MiB + 1 byte, then refuse).
 * - Every /v2 response carries `Docker-Distribution-API-Version: registry/2.0`, errors and
 *   unmatched /v2 paths included.
 * - Every route declares `config.access`; the auth hook (src/http/auth-hook.ts) enforces it.
 *   Content operations (visibility, the gate, attributes, lifecycle) are the registry
 *   service's (`services.registry`, src/registry/), never decided here.
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { registryError } from '../errors/index.ts';
import { sendError } from '../http/error-handler.ts';
import { registerBase } from './base.ts';
import { registerBlobs } from './blobs.ts';
import { registerUploads } from './uploads.ts';
import { registerManifests } from './manifests.ts';
import { registerManifestPush } from './manifest-push.ts';
import { registerTags } from './tags.ts';
import { registerReferrers } from './referrers.ts';
import { registerCatalog } from './catalog.ts';

export const API_VERSION_HEADER = 'Docker-Distribution-API-Version';

type ResourceRegistration = (scope: FastifyInstance, services: Services) => void;

const RESOURCES: ResourceRegistration[] = [
  registerBase,
  registerBlobs,
  registerUploads,
  registerManifests,
  registerManifestPush,
  registerTags,
  registerReferrers,
  registerCatalog,
];

export async function registerDistributionRoutes(app: FastifyInstance, services: Services) {
  app.removeAllContentTypeParsers();
  // Leave the body unread: routes read `request.raw` themselves, within their own bounds.
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header(API_VERSION_HEADER, 'registry/2.0');
    return payload;
  });
  for (const register of RESOURCES) register(app, services);

  // Unmatched /v2 paths answer in the registry's error format with the API version header.
  await app.register(
    async (v2) => {
      v2.setNotFoundHandler((request, reply) => {
        reply.header(API_VERSION_HEADER, 'registry/2.0');
        return sendError(reply, registryError('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`));
      });
    },
    { prefix: '/v2' },
  );
}
