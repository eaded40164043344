/**
 * /api/v1/quotas: quotas per repository pattern (docs/storage-lifecycle.md "Quotas"). Registry
 * `configure` (Owner, Contributor), who see every repository's name in the quarantine queue too.
 *
 * - GET /api/v1/quotas: the rules, and every repository one applies to with its limit and usage.
 * - PUT /api/v1/quotas `{ quotas: [{ repositories, bytes }] }`: replaces them (audited `quota.change`).
 * - POST /api/v1/quotas/recount `{ repository? }`: counts usage from scratch and corrects the
 *   running totals (audited `quota.recount` when one was wrong).
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { registryError } from '../errors/index.ts';
import { declareRoutes, serve } from '../http/route-table.ts';
import { QUOTA_SETTING, quotaPolicyProblem, quotaUsage, readQuotaPolicy, recountUsage } from '../lifecycle/quota/quotas.ts';
import { QuotaPolicy, QuotasAnswer, RecountAnswer, RecountBody } from './quotas-schemas.ts';

const access = { kind: 'registry', action: 'configure' } as const;

/** The routes of this file (the route table: src/http/route-table.ts). */
export const quotaRoutes = declareRoutes({
  getQuotas: { method: 'GET', url: '/api/v1/quotas', api: 'api', access, tags: ['operations'], summary: 'Quotas per repository pattern, with each repository\'s limit and usage', schema: { response: { 200: QuotasAnswer } } },
  putQuotas: { method: 'PUT', url: '/api/v1/quotas', api: 'api', access, tags: ['operations'], bodyLimit: 64 * 1024, summary: 'Replace the quotas', schema: { body: QuotaPolicy, response: { 200: QuotasAnswer } } },
  recountQuotaUsage: { method: 'POST', url: '/api/v1/quotas/recount', api: 'api', access, tags: ['operations'], bodyLimit: 4096, summary: 'Count repositories\' usage from scratch and correct the running totals', schema: { body: RecountBody, response: { 200: RecountAnswer } } },
});

export function registerQuotaRoutes(app: FastifyInstance, services: Services) {
  const answer = async () => ({ ...(await readQuotaPolicy(services.store.settings)), usage: await quotaUsage(services.store) });

  serve(app, quotaRoutes.getQuotas, answer);

  serve(app, quotaRoutes.putQuotas, async (request) => {
    const policy = request.body;
    const problem = quotaPolicyProblem(policy);
    if (problem) throw registryError('BAD_REQUEST', problem, { field: problem.split(' ')[0] });
    await services.store.transaction(async (tx) => {
      const before = await readQuotaPolicy(tx.settings);
      await tx.settings.set(QUOTA_SETTING, policy);
      await tx.audit.append({ actor: request.access.principal.name, action: 'quota.change', target: 'policy:quotas', before, after: policy, requestId: request.id });
    });
    return answer();
  });

  serve(app, quotaRoutes.recountQuotaUsage, async (request) => {
    const report = await recountUsage(services.store, request.body?.repository);
    // A wrong total means something wrote around the triggers: worth a trace in the audit log.
    if (report.corrected.length > 0) {
      await services.store.audit.append({ actor: request.access.principal.name, action: 'quota.recount', target: 'policy:quotas', details: { corrected: report.corrected.slice(0, 100) }, requestId: request.id });
    }
    return report;
  });
}
