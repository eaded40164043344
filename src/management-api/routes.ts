/**
 * /api/v1: Lazaret's management API (identities, roles, tokens, policies, quarantine
 * operations, webhooks, audit). Every route is declared in its area's `declareRoutes` table
 * (src/http/route-table.ts); the OpenAPI document of all APIs is generated from the route table
 * (src/http/routes.ts) and served at /api/v1/openapi.json.
 *
 * Each area registers its routes from its own file; add yours to AREAS.
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { registerWebhookRoutes } from './webhooks.ts';
import { registerPolicyRoutes } from './policies.ts';
import { registerQuarantineRoutes } from './quarantine.ts';
import { registerAuditRoutes } from './audit.ts';
import { registerIdentityUserRoutes } from './identity-users.ts';
import { registerIdentityTokenRoutes } from './identity-tokens.ts';
import { registerScannerRoutes } from '../scan/scanner-routes.ts';
import { registerScanRoutes } from '../scan/scan-routes.ts';
import { registerStatusRoutes } from './status.ts';
import { registerSummaryRoutes } from './summary.ts';
import { registerGcRoutes } from './gc.ts';
import { registerRetentionRoutes } from './retention.ts';
import { registerRecycleBinRoutes } from './recycle-bin.ts';
import { registerQuotaRoutes } from './quotas.ts';
import { registerHistoryRoutes } from './history.ts';
import { serve } from '../http/route-table.ts';
import { documentRoutes, ROUTE_TABLE } from '../http/routes.ts';
import { openApiDocument } from '../http/openapi.ts';
import { LAZARET_VERSION } from '../package-info.ts';
import { registerReleasePolicyRoutes } from '../release-policy/routes.ts';
import { registerEvaluationRoutes } from '../release-policy/evaluation-routes.ts';
import { registerExceptionRoutes } from '../release-policy/exception-routes.ts';

type AreaRegistration = (scope: FastifyInstance, services: Services) => Promise<void> | void;

const AREAS: AreaRegistration[] = [registerPolicyRoutes, registerQuarantineRoutes, registerAuditRoutes, registerWebhookRoutes, registerIdentityUserRoutes, registerIdentityTokenRoutes, registerScannerRoutes, registerScanRoutes, registerStatusRoutes, registerSummaryRoutes, registerReleasePolicyRoutes, registerEvaluationRoutes, registerExceptionRoutes, registerGcRoutes, registerRetentionRoutes, registerRecycleBinRoutes, registerQuotaRoutes, registerHistoryRoutes];

export async function registerManagementRoutes(app: FastifyInstance, services: Services) {
  for (const register of AREAS) await register(app, services);
  // Built once, from the route table (every API, not only /api/v1).
  const document = openApiDocument(ROUTE_TABLE, LAZARET_VERSION);
  serve(app, documentRoutes.getOpenapiJson, async () => document);
}
