/** What the HTTP layer attaches to every request, and the route config every route may declare. */
import type { FastifyRequest } from 'fastify';
import type { AccessContext, RouteAccess } from '../access/actions.ts';
import type { RequestFacts } from '../events/index.ts';
import type { RouteDeclaration } from './route-table.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Every route declares what it needs; the auth hook enforces it. Routes without it are refused. */
    access?: RouteAccess;
    /** The route's declaration in the route table (src/http/route-table.ts), set by `serve`. */
    declared?: RouteDeclaration;
  }
  interface FastifyInstance {
    /** Every route as registered (method, url, its access and declaration), in order. */
    registeredRoutes: RegisteredRoute[];
  }
  interface FastifyRequest {
    /** Set by the auth hook before any handler runs. */
    access: AccessContext;
  }
}

export interface RegisteredRoute {
  method: string | string[];
  url: string;
  access: RouteAccess | undefined;
  declared: RouteDeclaration | undefined;
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
