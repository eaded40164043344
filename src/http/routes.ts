/**
 * The route table: every module's declared routes (src/http/route-table.ts), by id. The
 * OpenAPI document is built from it and test/route-table.test.ts checks that Fastify serves
 * nothing undeclared. A module with routes adds its `declareRoutes` object here (one line).
 */
import type { RouteDeclaration } from './route-table.ts';
import { declareRoutes } from './route-table.ts';
import { auditRoutes } from '../management-api/audit.ts';
import { tokenRoutes } from '../management-api/identity-tokens.ts';
import { userRoutes } from '../management-api/identity-users.ts';
import { policyRoutes } from '../management-api/policies.ts';
import { quarantineRoutes } from '../management-api/quarantine.ts';
import { statusRoutes } from '../management-api/status.ts';
import { summaryRoutes } from '../management-api/summary.ts';
import { gcRoutes } from '../management-api/gc.ts';
import { retentionRoutes } from '../management-api/retention.ts';
import { recycleBinRoutes } from '../management-api/recycle-bin.ts';
import { quotaRoutes } from '../management-api/quotas.ts';
import { historyRoutes } from '../management-api/history.ts';
import { webhookRoutes } from '../management-api/webhooks.ts';
import { scanRoutes } from '../scan/scan-routes.ts';
import { scannerRoutes } from '../scan/scanner-routes.ts';
import { distributionRoutes } from '../distribution/route-table.ts';
import { tokenEndpointRoutes } from '../auth/token-routes.ts';
import { healthRoutes } from './health.ts';
import { readinessRoutes } from '../observability/routes.ts';
import { portalRoutes } from '../portal/routes.ts';
import { acrCatalogRoutes } from '../acr-api/catalog.ts';
import { acrRepositoryRoutes } from '../acr-api/repository.ts';
import { acrTagRoutes } from '../acr-api/tags.ts';
import { acrManifestRoutes } from '../acr-api/manifests.ts';
import { releasePolicyRoutes } from '../release-policy/routes.ts';
import { releaseEvaluationRoutes } from '../release-policy/evaluation-routes.ts';
import { policyExceptionRoutes } from '../release-policy/exception-routes.ts';

/** Routes of the HTTP layer itself. */
export const documentRoutes = declareRoutes({
  getOpenapiJson: { method: 'GET', url: '/api/v1/openapi.json', api: 'api', access: { kind: 'public' }, summary: 'This OpenAPI document', hidden: true },
});

const TABLES: Record<string, RouteDeclaration>[] = [
  distributionRoutes,
  tokenEndpointRoutes,
  healthRoutes,
  readinessRoutes,
  portalRoutes,
  acrCatalogRoutes,
  acrRepositoryRoutes,
  acrTagRoutes,
  acrManifestRoutes,
  documentRoutes,
  policyRoutes,
  quarantineRoutes,
  auditRoutes,
  historyRoutes,
  webhookRoutes,
  userRoutes,
  tokenRoutes,
  scannerRoutes,
  scanRoutes,
  statusRoutes,
  summaryRoutes,
  releasePolicyRoutes,
  releaseEvaluationRoutes,
  policyExceptionRoutes,
  gcRoutes,
  retentionRoutes,
  recycleBinRoutes,
  quotaRoutes,
];

function join(tables: Record<string, RouteDeclaration>[]): Record<string, RouteDeclaration> {
  const all: Record<string, RouteDeclaration> = {};
  for (const table of tables) {
    for (const [id, route] of Object.entries(table)) {
      if (all[id]) throw new Error(`route id ${id} is declared twice (${all[id].url}, ${route.url})`);
      all[id] = route;
    }
  }
  return all;
}

export const ROUTE_TABLE: Readonly<Record<string, RouteDeclaration>> = join(TABLES);
