/**
 * GET and HEAD of a readable resource (blobs, manifests) share one handler. HEAD is declared
 * explicitly rather than derived by Fastify, so the handler knows the method: the gate lets
 * pushers HEAD held content but not GET it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ReadMethod } from '../registry/index.ts';

export type ReadHandler = (request: FastifyRequest, reply: FastifyReply, method: ReadMethod) => Promise<unknown>;

export function registerReadRoutes(app: FastifyInstance, url: string, read: ReadHandler) {
  const config = { access: { kind: 'repository', action: 'pull' } } as const;
  app.route({ method: 'GET', url, exposeHeadRoute: false, config, handler: (request, reply) => read(request, reply, 'GET') });
  app.route({ method: 'HEAD', url, config, handler: (request, reply) => read(request, reply, 'HEAD') });
}
