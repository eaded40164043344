/**
 * /api/v1/retention: retention rules for tags and untagged manifests (docs/storage-lifecycle.md
 * "Retention").
 *
 * - GET /api/v1/retention: the policy (registry `configure`: Owner, Contributor).
 * - PUT /api/v1/retention `{ untagged: [...], tags: [...] }`: replaces it (audited `retention.change`).
 * - POST /api/v1/retention/run `{ dryRun? }`: evaluates it now; a dry run only lists what would go.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Services } from '../services.ts';
import { registryError } from '../errors/index.ts';
import { declareRoutes, serve } from '../http/route-table.ts';
import { RETENTION_SETTING, readRetentionPolicy, retentionPolicyProblem } from '../lifecycle/retention/policy.ts';
import type { PlannedDeletion } from '../lifecycle/retention/plan.ts';
import { retentionDeps, runRetention } from '../lifecycle/retention/run.ts';
import { RetentionPolicy, RetentionPolicyBody, RetentionRun } from '../lifecycle/retention/retention-schemas.ts';

const RunBody = Type.Object({ dryRun: Type.Optional(Type.Boolean()) }, { additionalProperties: false });

export const deletionJson = (d: PlannedDeletion) => ({
  kind: d.kind,
  repository: d.repository,
  tag: d.tag ?? null,
  digest: d.digest,
  reason: d.reason,
  rule: d.rule,
  subject: d.subject ?? null,
  updatedAt: d.updatedAt.toISOString(),
  lastPulledAt: d.lastPulledAt?.toISOString() ?? null,
});

const access = { kind: 'registry', action: 'configure' } as const;

/** The routes of this file (the route table: src/http/route-table.ts). */
export const retentionRoutes = declareRoutes({
  getRetention: { method: 'GET', url: '/api/v1/retention', api: 'api', access, tags: ['operations'], summary: 'The retention rules (tags and untagged manifests)', schema: { response: { 200: RetentionPolicy } } },
  putRetention: { method: 'PUT', url: '/api/v1/retention', api: 'api', access, tags: ['operations'], bodyLimit: 64 * 1024, summary: 'Replace the retention rules', schema: { body: RetentionPolicyBody, response: { 200: RetentionPolicy } } },
  runRetention: { method: 'POST', url: '/api/v1/retention/run', api: 'api', access, tags: ['operations'], bodyLimit: 4096, summary: 'Apply the retention rules now (or a dry run of them)', schema: { body: Type.Optional(RunBody), response: { 200: RetentionRun } } },
});

export function registerRetentionRoutes(app: FastifyInstance, services: Services) {
  serve(app, retentionRoutes.getRetention, async () => readRetentionPolicy(services.store.settings));

  serve(app, retentionRoutes.putRetention, async (request) => {
    const policy = { untagged: request.body.untagged, tags: request.body.tags ?? [] };
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
    const run = await runRetention(retentionDeps(services), { dryRun: body.dryRun ?? false, requestId: request.id });
    return {
      dryRun: run.dryRun,
      deletions: (run.result ? run.result.deleted : run.planned).map(deletionJson),
      skipped: run.result ? run.result.skipped.map((s) => ({ ...deletionJson(s.deletion), why: s.why })) : [],
    };
  });
}
