/**
 * Authenticator: turns a request's credentials into an AccessContext and enforces the route's
 * declared RouteAccess. The auth hook (src/http/auth-hook.ts) calls `authorize` for every
 * request before routing reaches a handler; handlers only ever see `request.access`.
 *
 * `authorize` throws a RegistryError: UNAUTHORIZED with the Docker challenge
 * (`WWW-Authenticate: Bearer realm=...,service=...,scope=...[,error="insufficient_scope"]`)
 * when the caller lacks what the route needs, or when credentials do not verify.
 */
import type { FastifyRequest } from 'fastify';
import { unrestrictedAccess, type AccessContext, type RouteAccess } from '../access/actions.ts';

export interface Authenticator {
  authorize(request: FastifyRequest, need: RouteAccess): Promise<AccessContext>;
}

/** `auth.mode: none`: nobody is asked for anything; nobody gets quarantine read. */
export function noAuthentication(): Authenticator {
  const access = unrestrictedAccess();
  return { authorize: async () => access };
}
