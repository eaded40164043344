/**
 * /api/v1/quotas: quotas per repository pattern (docs/storage-lifecycle.md "Quotas"). Registry
 * `configure` (Owner, Contributor), who see every repository's name in the quarantine queue too.
 *
 * - GET /api/v1/quotas: the rules, and every repository one applies to with its limit and usage.
 * - PUT /api/v1/quotas `{ quotas: [{ repositories, bytes }] }`: replaces them (audited `quota.change`).
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { registryError } from '../errors/index.ts';
import { declareRoutes, serve } from '../http/route-table.ts';
import { QUOTA_SETTING, quotaPolicyProblem, quotaUsage, readQuotaPolicy } from '../lifecycle/quota/quotas.ts';
import { QuotaPolicy, QuotasAnswer } from './quotas-schemas.ts';

const access = { kind: 'registry', action: 'configure' } as const;

/** The routes of this file (the route table: src/http/route-table.ts). */
export const quotaRoutes = declareRoutes({
  getQuotas: { method: 'GET', url: '/api/v1/quotas', api: 'api', access, tags: ['operations'], summary: 'Quotas per repository pattern, with each repository\'s limit and usage', schema: { response: { 200: QuotasAnswer } } },
  putQuotas: { method: 'PUT', url: '/api/v1/quotas', api: 'api', access, tags: ['operations'], bodyLimit: 64 * 1024, summary: 'Replace the quotas', schema: { body: QuotaPolicy, response: { 200: QuotasAnswer } } },
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
}
