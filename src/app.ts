/**
 * buildApp(services): the HTTP application. Registers every module's routes; nothing happens
 * at import time and nothing listens here (src/main.ts does).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Services } from './services.ts';
import { rewriteRepositoryPath } from './http/name-rewrite.ts';
import { installErrorHandling } from './http/error-handler.ts';
import { installAuthHook } from './http/auth-hook.ts';
import { registerHealthRoute } from './http/health.ts';
import { requireJsonBodies } from './http/json-bodies.ts';
import { registerDistributionRoutes } from './distribution/routes.ts';
import { registerAcrRoutes } from './acr-api/routes.ts';
import { registerManagementRoutes } from './management-api/routes.ts';
import { registerPortalRoutes } from './portal/routes.ts';
import { registerTokenRoutes } from './auth/token-routes.ts';
import { registerObservabilityRoutes } from './observability/routes.ts';
import { logController } from './observability/http-metrics.ts';
import type { RegisteredRoute } from './http/request-context.ts';
import { lazySchemaCompilers } from './http/lazy-schema-compilers.ts';

export async function buildApp(services: Services): Promise<FastifyInstance> {
  const { config } = services;
  const tracing = services.observability.tracing;
  const app = Fastify({
    loggerInstance: services.logger,
    // With tracing on the request id is the trace id (src/observability/http-tracing.ts).
    genReqId: tracing ? tracing.requestId : () => randomUUID(),
    // The request id is logged as `requestId` (the top-level option of that name is deprecated).
    // With metrics on it also records the HTTP metrics, without a hook (http-metrics.ts).
    logController: logController(services.metrics, { requestIdLogLabel: 'requestId' }),
    rewriteUrl: (req: IncomingMessage) => rewriteRepositoryPath(req.url ?? '/'),
    // Routes set their own tighter limits; blob bodies are streamed and never parsed.
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    // Only the configured proxies may name the client (X-Forwarded-For); anyone else could use
    // the header to dodge the per-address login throttle.
    ...(config.trustProxy.length > 0 ? { trustProxy: config.trustProxy } : {}),
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 1024 },
    // Each route's schemas compile on its first request, not at start (lazy-schema-compilers.ts).
    schemaController: { compilersFactory: lazySchemaCompilers() },
    ...(config.tls
      ? { https: { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) } }
      : {}),
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;

  // First hook: the request's span must be active for everything after it.
  tracing?.installHttp(app);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
    reply.header('X-Content-Type-Options', 'nosniff');
  });
  installErrorHandling(app);
  installAuthHook(app, services.authenticator);
  // Every route as Fastify registered it, for the route-table test (test/route-table.test.ts).
  const registered: RegisteredRoute[] = [];
  app.decorate('registeredRoutes', registered);
  app.addHook('onRoute', (route) => {
    registered.push({ method: route.method, url: route.url, access: route.config?.access, declared: route.config?.declared });
  });

  // Each module in its own encapsulated scope: /v2 streams raw bodies, the APIs parse JSON.
  await app.register(async (scope) => registerDistributionRoutes(scope, services));
  // The JSON APIs take only application/json bodies on state-changing calls (json-bodies.ts).
  await app.register(async (scope) => {
    requireJsonBodies(scope);
    await registerAcrRoutes(scope, services);
  });
  await app.register(async (scope) => {
    requireJsonBodies(scope);
    await registerManagementRoutes(scope, services);
  });
  await app.register(async (scope) => registerPortalRoutes(scope, services));
  await app.register(async (scope) => registerTokenRoutes(scope, services.identity));
  await app.register(async (scope) => registerHealthRoute(scope, services));
  await app.register(async (scope) => registerObservabilityRoutes(scope, services));
  return app;
}
