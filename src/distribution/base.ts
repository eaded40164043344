/**
 * `GET /v2/`: the API version check and, with token auth, the place clients get their
 * challenge: a request without credentials is always answered 401 + Bearer (even with
 * anonymous pull on; anonymous clients then fetch an anonymous token without credentials).
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';

export function registerBase(app: FastifyInstance, _services: Services) {
  for (const url of ['/v2/', '/v2']) {
    app.route({
      method: ['GET', 'HEAD'],
      url,
      config: { access: { kind: 'credentials' } },
      handler: async (_request, reply) => reply.type('application/json').send('{}'),
    });
  }
}
