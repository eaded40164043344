/** `GET /v2/`: the API version check (and, with token auth, the place clients get their challenge). */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';

export function registerBase(app: FastifyInstance, _services: Services) {
  for (const url of ['/v2/', '/v2']) {
    app.route({
      method: ['GET', 'HEAD'],
      url,
      config: { access: { kind: 'authenticated' } },
      handler: async (_request, reply) => reply.type('application/json').send('{}'),
    });
  }
}
