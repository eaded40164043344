/**
 * /api/v1: Lazaret's management API (identities, roles, tokens, policies, quarantine
 * operations, webhooks, audit). Every route declares its access and a TypeBox schema; the
 * OpenAPI document is generated from those schemas and served at /api/v1/openapi.json.
 *
 * Each area registers its routes from its own file; add yours to AREAS.
 */
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
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

type AreaRegistration = (scope: FastifyInstance, services: Services) => Promise<void> | void;

const AREAS: AreaRegistration[] = [registerPolicyRoutes, registerQuarantineRoutes, registerAuditRoutes, registerWebhookRoutes, registerIdentityUserRoutes, registerIdentityTokenRoutes, registerScannerRoutes, registerScanRoutes, registerStatusRoutes];

export async function registerManagementRoutes(app: FastifyInstance, services: Services) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Lazaret management API', version: '1' },
      components: { securitySchemes: { basic: { type: 'http', scheme: 'basic' }, bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ basic: [] }, { bearer: [] }],
    },
  });
  for (const register of AREAS) await register(app, services);
  app.get('/api/v1/openapi.json', { config: { access: { kind: 'public' } }, schema: { hide: true } }, async () => app.swagger());
}
