/**
 * /api/v1/policies: the registry policies, shaped like ACR's `properties.policies`
 * (`{"quarantinePolicy":{"status":"enabled"}}`).
 *
 * - GET /api/v1/policies and POST /api/v1/policies/list (ACR listPolicies): any
 *   authenticated caller (Decision: whether the gate is on is not a secret, and clients need
 *   it to explain a refusal).
 * - PATCH /api/v1/policies and POST /api/v1/policies/update (ACR updatePolicies): `configure`
 *   (Owner, Contributor). Each change is audited (`policy.change`) and seen by this process's
 *   gate at once (other processes within the policy cache's second, src/quarantine/policy.ts).
 *   Other ACR policies (trustPolicy, retentionPolicy, exportPolicy) are accepted in the body
 *   and ignored: Lazaret does not implement them, and ACR clients send them along.
 */
import { queueBacklog } from '../scan/backlog.ts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import type { Services } from '../services.ts';
import { changePolicy, readPolicy, type PolicyStatus } from '../quarantine/policy.ts';
import { declareRoutes, serve } from '../http/route-table.ts';
import { Policies, PoliciesResponse } from './quarantine-schemas.ts';

type PoliciesBody = Static<typeof Policies>;

const read = { kind: 'authenticated' } as const;
const write = { kind: 'registry', action: 'configure' } as const;

const tags = ['policies'];
/** The routes of this file (the route table: src/http/route-table.ts). */
export const policyRoutes = declareRoutes({
  getPolicies: { method: 'GET', url: '/api/v1/policies', api: 'api', access: read, tags, summary: 'Read the registry policies', schema: { response: { 200: PoliciesResponse } } },
  postPoliciesList: { method: 'POST', url: '/api/v1/policies/list', api: 'api', access: read, tags, summary: 'Read the registry policies (ACR listPolicies)', schema: { response: { 200: PoliciesResponse } } },
  patchPolicies: { method: 'PATCH', url: '/api/v1/policies', api: 'api', access: write, tags, summary: 'Change the registry policies', bodyLimit: 16 * 1024, schema: { body: Policies, response: { 200: PoliciesResponse } } },
  postPoliciesUpdate: { method: 'POST', url: '/api/v1/policies/update', api: 'api', access: write, tags, summary: 'Change the registry policies (ACR updatePolicies)', bodyLimit: 16 * 1024, schema: { body: Policies, response: { 200: PoliciesResponse } } },
});

export function registerPolicyRoutes(app: FastifyInstance, services: Services) {
  const current = async () => ({ quarantinePolicy: await readPolicy(services.store.settings) });

  async function update(request: FastifyRequest, body: PoliciesBody) {
    const status = body.quarantinePolicy?.status as PolicyStatus | undefined;
    if (status !== undefined) {
      const before = (await readPolicy(services.store.settings)).status;
      await services.store.transaction((tx) =>
        changePolicy(tx, status, { actor: request.access.principal.name, requestId: request.id }),
      );
      services.quarantinePolicy.invalidate();
      // Manifests without a verdict are held from now on: queue their scans (docs/scanning.md).
      if (status === 'enabled' && before !== 'enabled') {
        await queueBacklog(services.store, services.logger);
        services.scan.dispatcher.wake();
      }
    }
    return current();
  }

  serve(app, policyRoutes.getPolicies, current);
  serve(app, policyRoutes.postPoliciesList, current);
  serve(app, policyRoutes.patchPolicies, (request) => update(request, request.body));
  serve(app, policyRoutes.postPoliciesUpdate, (request) => update(request, request.body));
}
