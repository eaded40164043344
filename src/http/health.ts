/**
 * `GET /healthz` for load balancers and orchestrators: public, cheap, and honest — it answers
 * 200 only when the metadata store answers a query and the blob store's root can be stat'ed,
 * 503 UNAVAILABLE otherwise (or while shutting down, which Fastify's return503OnClosing does).
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { registryError } from '../errors/index.ts';
import { declareRoutes, serve } from './route-table.ts';

/** The routes of this file (the route table: src/http/route-table.ts). */
export const healthRoutes = declareRoutes({
  getHealthz: { method: 'GET', url: '/healthz', api: 'operations', access: { kind: 'public' }, summary: 'Liveness: the database and the blob store answer (200, else 503 UNAVAILABLE)' },
});

export function registerHealthRoute(app: FastifyInstance, services: Services) {
  serve(app, healthRoutes.getHealthz, async (request) => {
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
