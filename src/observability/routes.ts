/**
 * GET /readyz (public: a load balancer's probe) and, when `metrics.mainPort` is on, GET
 * /metrics on the main port for principals holding the `metrics` registry permission. /healthz
 * (src/http/health.ts) stays the liveness probe.
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';

export function registerObservabilityRoutes(app: FastifyInstance, services: Services) {
  app.get('/readyz', { config: { access: { kind: 'public' } } }, async (request, reply) => {
    const report = await services.readiness.check();
    if (!report.ready) request.log.warn({ checks: report.checks }, 'not ready');
    reply.header('Cache-Control', 'no-store');
    return reply.code(report.ready ? 200 : 503).send({ status: report.ready ? 'ready' : 'not ready', ...report.checks });
  });

  const metrics = services.metrics;
  if (metrics && services.config.metrics.mainPort) {
    app.get('/metrics', { config: { access: { kind: 'registry', action: 'metrics' } } }, async (_request, reply) => {
      const { contentType, body } = await metrics.render();
      return reply.header('Content-Type', contentType).header('Cache-Control', 'no-store').send(body);
    });
  }
}
