/**
 * `GET /healthz` for load balancers and orchestrators: public, cheap, and honest — it answers
 * 200 only when the metadata store answers a query and the blob store's root can be stat'ed,
 * 503 UNAVAILABLE otherwise (or while shutting down, which Fastify's return503OnClosing does).
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { registryError } from '../errors/registry-error.ts';

export function registerHealthRoute(app: FastifyInstance, services: Services) {
  app.get('/healthz', { config: { access: { kind: 'public' } } }, async (request) => {
    try {
      await services.store.settings.get('health-probe');
      await services.blobs.probe();
    } catch (err) {
      request.log.error({ err }, 'health check failed');
      throw registryError('UNAVAILABLE', 'a backing store does not answer');
    }
    return { status: 'ok', database: services.store.dialect };
  });
}
