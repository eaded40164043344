/**
 * /api/v1/retention: untagged-manifest retention (docs/storage-lifecycle.md "Untagged manifests").
 *
 * - GET /api/v1/retention: the policy (registry `configure`: Owner, Contributor).
 * - PUT /api/v1/retention `{ untagged: [{ repositories, days }] }`: replaces it (audited `retention.change`).
 * - POST /api/v1/retention/run `{ dryRun? }`: evaluates it now; a dry run only lists what would go.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Services } from '../services.ts';
import { registryError } from '../errors/registry-error.ts';
import { unrestrictedAccess } from '../access/actions.ts';
import { declareRoutes, serve } from '../http/route-table.ts';
import { RETENTION_SETTING, readRetentionPolicy, retentionPolicyProblem, runUntaggedRetention, type PlannedDeletion } from '../lifecycle/retention/untagged.ts';

const Rule = Type.Object({ repositories: Type.String({ minLength: 1, maxLength: 300 }), days: Type.Integer({ minimum: 0, maximum: 3650 }) }, { additionalProperties: false });
const Policy = Type.Object({ untagged: Type.Array(Rule, { maxItems: 100 }) }, { additionalProperties: false });
const RunBody = Type.Object({ dryRun: Type.Optional(Type.Boolean()) }, { additionalProperties: false });

const deletionJson = (d: PlannedDeletion) => ({
  repository: d.repository,
  digest: d.digest,
  reason: d.reason,
  rule: d.rule,
  subject: d.subject ?? null,
  updatedAt: d.updatedAt.toISOString(),
});

const access = { kind: 'registry', action: 'configure' } as const;

/** The routes of this file (the route table: src/http/route-table.ts). */
export const retentionRoutes = declareRoutes({
  getRetention: { method: 'GET', url: '/api/v1/retention', api: 'api', access, tags: ['operations'], summary: 'The untagged-manifest retention policy' },
  putRetention: { method: 'PUT', url: '/api/v1/retention', api: 'api', access, tags: ['operations'], bodyLimit: 64 * 1024, summary: 'Replace the untagged-manifest retention policy', schema: { body: Policy } },
  runRetention: { method: 'POST', url: '/api/v1/retention/run', api: 'api', access, tags: ['operations'], bodyLimit: 4096, summary: 'Apply the retention policy now (or a dry run of it)', schema: { body: Type.Optional(RunBody) } },
});

export function registerRetentionRoutes(app: FastifyInstance, services: Services) {
  serve(app, retentionRoutes.getRetention, async () => readRetentionPolicy(services.store.settings));

  serve(app, retentionRoutes.putRetention, async (request) => {
    const policy = request.body;
    const problem = retentionPolicyProblem(policy);
    if (problem) throw registryError('BAD_REQUEST', problem);
    await services.store.transaction(async (tx) => {
      const before = await readRetentionPolicy(tx.settings);
      await tx.settings.set(RETENTION_SETTING, policy);
      await tx.audit.append({ actor: request.access.principal.name, action: 'retention.change', target: 'policy:retention', before, after: policy, requestId: request.id });
    });
    return policy;
  });

  serve(app, retentionRoutes.runRetention, async (request) => {
    const body = request.body ?? {};
    const run = await runUntaggedRetention({ store: services.store, registry: services.registry.as(unrestrictedAccess()) }, { dryRun: body.dryRun ?? false, requestId: request.id });
    return {
      dryRun: run.dryRun,
      deletions: (run.result ? run.result.deleted : run.planned).map(deletionJson),
      skipped: run.result ? run.result.skipped.map((s) => ({ ...deletionJson(s.deletion), why: s.why })) : [],
    };
  });
}
