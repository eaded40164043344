/**
 * The Docker token challenge (ACR's API reference 2.1): realm and service of this registry, the
 * `WWW-Authenticate` header and ACR's UNAUTHORIZED body. Only the auth hook and the token
 * service build these; handlers never do.
 */
import type { FastifyRequest } from 'fastify';
import type { RouteAccess } from '../access/actions.ts';
import type { LazaretConfig } from '../config/schema.ts';
import { registryError, type RegistryError } from '../errors/index.ts';

/** A Host header we are willing to echo into a quoted header parameter. */
const SAFE_HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

// Every authorized request asks for the service: the last Host header's answer is kept, as
// clients send the same one on every request (the test is a function of the header alone).
let lastHost: string | undefined;
let lastService = 'localhost';
function requestHost(request: FastifyRequest): string {
  const host = request.headers.host ?? '';
  if (host !== lastHost) {
    lastService = SAFE_HOST.test(host) ? host : 'localhost';
    lastHost = host;
  }
  return lastService;
}

/** The `service` of tokens and challenges: config.service, else baseUrl's host, else the Host header. */
export function serviceOf(config: LazaretConfig, request: FastifyRequest): string {
  if (config.service) return config.service;
  if (config.baseUrl) return baseUrlHost(config.baseUrl);
  return requestHost(request);
}

// Every authorized request asks for the service: the base URL is parsed once, not per request.
let lastBaseUrl: string | undefined;
let lastBaseHost = '';
function baseUrlHost(baseUrl: string): string {
  if (baseUrl !== lastBaseUrl) {
    lastBaseHost = new URL(baseUrl).host;
    lastBaseUrl = baseUrl;
  }
  return lastBaseHost;
}

/** `<base>/oauth2/token`: from config.baseUrl, else the request's scheme and Host. */
export function realmOf(config: LazaretConfig, request: FastifyRequest): string {
  if (config.baseUrl) return `${config.baseUrl.replace(/\/+$/, '')}/oauth2/token`;
  const scheme = config.tls ? 'https' : request.protocol;
  return `${scheme}://${requestHost(request)}/oauth2/token`;
}

export interface ChallengeTarget {
  type: 'repository' | 'registry';
  name: string;
  /** The single action named in the body's detail. */
  action: string;
  /** The actions in the header's scope. */
  scopeActions: string;
}

/** What a route's declared access asks for, as a challenge target (undefined: no scope, e.g. /v2/). */
export function challengeTarget(need: RouteAccess, repository: string | undefined): ChallengeTarget | undefined {
  if (need.kind === 'repository' && repository !== undefined) {
    // Docker asks for pull,push when pushing (a push needs HEAD/GET too); mirror distribution.
    const scopeActions = need.action === 'push' || need.action === 'quarantine_write' ? 'pull,push' : need.action === 'quarantine_read' ? 'pull' : need.action;
    return { type: 'repository', name: repository, action: need.action, scopeActions };
  }
  if (need.kind === 'registry') return { type: 'registry', name: need.action, action: '*', scopeActions: '*' };
  return undefined;
}

export function challengeHeader(realm: string, service: string, target?: ChallengeTarget, error?: 'invalid_token' | 'insufficient_scope'): string {
  let h = `Bearer realm="${realm}",service="${service}"`;
  if (target) h += `,scope="${target.type}:${target.name}:${target.scopeActions}"`;
  if (error) h += `,error="${error}"`;
  return h;
}

const detailOf = (target?: ChallengeTarget) => (target ? [{ Type: target.type, Name: target.name, Action: target.action }] : undefined);

export function unauthorized(realm: string, service: string, target?: ChallengeTarget, error?: 'invalid_token' | 'insufficient_scope', message?: string): RegistryError {
  return registryError(
    'UNAUTHORIZED',
    message ?? `authentication required, visit ${realm} for a token (see docs/auth.md)`,
    detailOf(target),
    { 'WWW-Authenticate': challengeHeader(realm, service, target, error) },
  );
}

export function denied(target?: ChallengeTarget): RegistryError {
  const what = target ? ` (${target.type}:${target.name}:${target.action})` : '';
  return registryError('DENIED', `requested access to the resource is denied${what}`, detailOf(target));
}
