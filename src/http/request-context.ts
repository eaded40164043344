/** What the HTTP layer attaches to every request, and the route config every route may declare. */
import type { FastifyRequest } from 'fastify';
import type { AccessContext, RouteAccess } from '../access/actions.ts';
import type { RequestFacts } from '../events/manifest-lifecycle.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Every route declares what it needs; the auth hook enforces it. Routes without it are refused. */
    access?: RouteAccess;
  }
  interface FastifyRequest {
    /** Set by the auth hook before any handler runs. */
    access: AccessContext;
  }
}

/** ACR's `request` object for events, from the request. */
export function requestFacts(request: FastifyRequest): RequestFacts {
  return {
    id: request.id,
    host: request.headers.host ?? '',
    method: request.method,
    useragent: request.headers['user-agent'] ?? '',
    actor: request.access?.principal.name ?? '',
  };
}
