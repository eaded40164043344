/**
 * `GET /v2/`: the API version check and, with token auth, the place clients get their
 * challenge: a request without credentials is always answered 401 + Bearer (even with
 * anonymous pull on; anonymous clients then fetch an anonymous token without credentials).
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { serve } from '../http/route-table.ts';
import { distributionRoutes } from './route-table.ts';

export function registerBase(app: FastifyInstance, _services: Services) {
  for (const route of [distributionRoutes.getV2, distributionRoutes.getV2NoSlash]) {
    serve(app, route, async (_request, reply) => reply.type('application/json').send('{}'));
  }
}
