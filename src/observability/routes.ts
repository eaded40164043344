/**
 * GET /readyz (public: a load balancer's probe) and, when `metrics.mainPort` is on, GET
 * /metrics on the main port for principals holding the `metrics` registry permission. /healthz
 * (src/http/health.ts) stays the liveness probe.
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { declareRoutes, serve } from '../http/route-table.ts';

/** The routes of this file (the route table: src/http/route-table.ts). */
export const readinessRoutes = declareRoutes({
  getReadyz: { method: 'GET', url: '/readyz', api: 'operations', access: { kind: 'public' }, summary: 'Readiness: each check (database, migrations, blob store) with its state; 503 when one fails' },
  getMetrics: { method: 'GET', url: '/metrics', api: 'operations', access: { kind: 'registry', action: 'metrics' }, servedWhen: 'metrics.mainPort is on', summary: 'Prometheus metrics on the main port (the metrics permission)' },
});

export function registerObservabilityRoutes(app: FastifyInstance, services: Services) {
  serve(app, readinessRoutes.getReadyz, async (request, reply) => {
    const report = await services.readiness.check();
    if (!report.ready) request.log.warn({ checks: report.checks }, 'not ready');
    reply.header('Cache-Control', 'no-store');
    return reply.code(report.ready ? 200 : 503).send({ status: report.ready ? 'ready' : 'not ready', ...report.checks });
  });

  const metrics = services.metrics;
  if (metrics && services.config.metrics.mainPort) {
    serve(app, readinessRoutes.getMetrics, async (_request, reply) => {
      const { contentType, body } = await metrics.render();
      return reply.header('Content-Type', contentType).header('Cache-Control', 'no-store').send(body);
    });
  }
}
