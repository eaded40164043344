/**
 * GET /api/v1/summary: the overview's numbers (docs/portal.md "Overview"), from the server, for
 * the caller. Content counts come from the registry service (src/registry/summary.ts: what the
 * caller may see; no held count for a principal without quarantine read). Operator numbers
 * (scan backlog, scanner health, outbox, last GC) only for `configure`: the backlog counts held
 * manifests, and Owners and Contributors are who run the scanners and webhooks.
 */
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import type { Services } from '../services.ts';
import { readPolicy } from '../quarantine/policy.ts';
import { scannerHealthSummary } from '../scan/views.ts';
import { declareRoutes, serve } from '../http/route-table.ts';
import { type OperationsSummary, Summary } from './summary-schemas.ts';
import { operatorFigures } from './operator-figures.ts';

/** The routes of this file (the route table: src/http/route-table.ts). */
export const summaryRoutes = declareRoutes({
  getSummary: { method: 'GET', url: '/api/v1/summary', api: 'api', access: { kind: 'authenticated' }, tags: ['operations'], summary: 'Counts the caller may see: repositories, manifests, held by state; scanners, backlog, outbox, last GC for configure', schema: { response: { 200: Summary } } },
});

async function operations(services: Services): Promise<Static<typeof OperationsSummary>> {
  const [s, scanners] = await Promise.all([services.store.operations.snapshot(), services.store.scanners.list()]);
  return { ...(await operatorFigures(services, s)), scanners: scanners.map(scannerHealthSummary) };
}

export function registerSummaryRoutes(app: FastifyInstance, services: Services) {
  serve(app, summaryRoutes.getSummary, async (request): Promise<Static<typeof Summary>> => {
    const content = await services.registry.as(request.access).summary();
    return {
      policy: (await readPolicy(services.store.settings)).status,
      ...content,
      operations: request.access.canRegistry('configure') ? await operations(services) : null,
    };
  });
}
