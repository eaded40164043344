/**
 * GET and HEAD of a readable resource (blobs, manifests) share one handler. HEAD is declared
 * explicitly rather than derived by Fastify, so the handler knows the method: the gate lets
 * pushers HEAD held content but not GET it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ReadMethod } from '../registry/index.ts';
import { serve, type RouteDeclaration } from '../http/route-table.ts';

export type ReadHandler = (request: FastifyRequest, reply: FastifyReply, method: ReadMethod) => Promise<unknown>;

/** Registers the declared GET and HEAD of one path with one handler told which it serves. */
export function registerReadRoutes(app: FastifyInstance, get: RouteDeclaration, head: RouteDeclaration, read: ReadHandler) {
  serve(app, get, (request, reply) => read(request, reply, 'GET'));
  serve(app, head, (request, reply) => read(request, reply, 'HEAD'));
}
