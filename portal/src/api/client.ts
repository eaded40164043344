/**
 * The portal's one way to call the registry. It speaks only the public APIs (/acr/v1, /v2,
 * /api/v1, /oauth2), with the signed-in identity's credentials, so the registry's gate decides
 * what the portal may show: the portal never filters anything for security itself.
 *
 * Authentication follows the Docker token flow: a /v2 or /acr/v1 request goes out with a
 * cached bearer token for its scope hint; a 401 carrying `WWW-Authenticate: Bearer
 * realm=...,scope=...` makes us exchange the session's refresh token for a token with that
 * scope, then retry once. Management calls (/api/v1) act with the identity's full rights, which
 * a scoped bearer token cannot carry (the queue needs quarantine read on every repository), so
 * they use ACR's refresh-token login: Basic with the null GUID as username and the refresh
 * token as password.
 */
import {
  cacheToken,
  cachedToken,
  currentCredentials,
  currentGeneration,
  forgetToken,
  isAuthOff,
} from './session.ts';
import type { Static } from 'typebox';
import type { TokenAnswer } from '../../../src/auth/token-schemas.ts';

export interface ErrorEntry {
  code: string;
  message: string;
  detail?: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errors: ErrorEntry[],
    readonly warning: string | null = null,
  ) {
    super(errors.map((e) => `${e.code}: ${e.message}`).join('; ') || `HTTP ${status}`);
  }
  get code(): string {
    return this.errors[0]?.code ?? `HTTP_${this.status}`;
  }
}

/** Thrown when an answer arrives after the user signed out or switched identity. */
export class StaleSessionError extends Error {
  constructor() {
    super('the session changed while this request was in flight');
  }
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `Bearer realm="...",service="...",scope="...",error="..."` (quoted values may hold commas). */
export function parseChallenge(header: string | null): Challenge | null {
  if (!header) return null;
  const match = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!match) return null;
  const params: Record<string, string> = {};
  const re = /(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (let m = re.exec(match[2]!); m; m = re.exec(match[2]!)) {
    params[m[1]!.toLowerCase()] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return { scheme: match[1]!.toLowerCase(), params };
}

/** ACR's username for refresh-token logins. */
export const NULL_GUID = '00000000-0000-0000-0000-000000000000';

function basicHeader(): string | null {
  const c = currentCredentials();
  if (!c) return null;
  return `Basic ${btoa(`${NULL_GUID}:${c.refreshToken}`)}`;
}

function form(fields: Record<string, string | string[] | undefined>): string {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
  }
  return body.toString();
}

/** /oauth2/token's answer (src/auth/token-schemas.ts). */
type TokenResponse = Static<typeof TokenAnswer>;

function jwtExpiry(token: string): number {
  try {
    const payload = token.split('.')[1] ?? '';
    const json = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: number };
    if (typeof json.exp === 'number') return json.exp * 1000;
  } catch {
    /* opaque token: fall through */
  }
  return Date.now() + 60_000;
}

let serviceName: string | null = null;
let realmPath = '/oauth2/token';

/** Exchanges the session's refresh token for an access token for `scope` (cached until it expires). */
export async function fetchToken(scope: string): Promise<string> {
  const hit = cachedToken(scope);
  if (hit) return hit;
  const c = currentCredentials();
  if (!c) throw new StaleSessionError();
  const generation = currentGeneration();
  const response = await fetch(realmPath, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: form({ grant_type: 'refresh_token', refresh_token: c.refreshToken, service: serviceName ?? undefined, scope: scope.split(' ').filter(Boolean) }),
    credentials: 'omit',
    cache: 'no-store',
  });
  if (generation !== currentGeneration()) throw new StaleSessionError();
  if (!response.ok) throw await toApiError(response);
  const body = (await response.json()) as TokenResponse;
  const token = body.access_token ?? body.token;
  if (!token) throw new ApiError(500, [{ code: 'BAD_TOKEN_RESPONSE', message: 'the token endpoint returned no token' }]);
  cacheToken(scope, token, body.expires_in ? Date.now() + body.expires_in * 1000 : jwtExpiry(token));
  return token;
}

export function rememberChallenge(challenge: Challenge | null) {
  if (challenge?.scheme !== 'bearer') return;
  if (challenge.params.service) serviceName = challenge.params.service;
  if (challenge.params.realm) {
    // Only the path is used: the portal talks to its own origin (CSP connect-src 'self'),
    // even when baseUrl names a different public host.
    try {
      realmPath = new URL(challenge.params.realm, location.origin).pathname;
    } catch {
      /* keep the default */
    }
  }
}

export async function toApiError(response: Response): Promise<ApiError> {
  const warning = response.headers.get('Warning');
  let errors: ErrorEntry[] = [];
  try {
    const body = (await response.json()) as { errors?: ErrorEntry[]; message?: string; title?: string; detail?: string };
    if (Array.isArray(body.errors)) errors = body.errors;
    else if (body.message || body.title) errors = [{ code: `HTTP_${response.status}`, message: body.message ?? body.title ?? '', detail: body.detail }];
  } catch {
    /* not JSON */
  }
  if (errors.length === 0) errors = [{ code: `HTTP_${response.status}`, message: response.statusText || 'request failed' }];
  return new ApiError(response.status, errors, warning);
}

export interface RequestOptions {
  method?: string;
  /** A Docker scope to fetch a bearer token for before the first attempt, e.g. `registry:catalog:*`. */
  scope?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Return the raw Response instead of parsing JSON (for headers such as Link). */
  raw?: boolean;
}

export interface RawResult<T> {
  data: T;
  response: Response;
}

/** Performs one API call and returns its parsed JSON body (or null for empty bodies). */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const { data } = await apiRaw<T>(path, options);
  return data;
}

export async function apiRaw<T>(path: string, options: RequestOptions = {}): Promise<RawResult<T>> {
  const generation = currentGeneration();
  const method = options.method ?? 'GET';
  const management = path.startsWith('/api/');
  const send = async (authorization: string | null) => {
    const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
    if (authorization) headers.Authorization = authorization;
    let body: string | undefined;
    // State-changing calls declare JSON even without a body: the API refuses anything else.
    if (['POST', 'PUT', 'PATCH'].includes(method.toUpperCase())) headers['Content-Type'] ??= 'application/json';
    if (options.body !== undefined) {
      headers['Content-Type'] ??= 'application/json';
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    }
    return fetch(path, { method, headers, body, credentials: 'omit', cache: 'no-store' });
  };

  let authorization: string | null = null;
  if (!isAuthOff()) {
    if (management) authorization = basicHeader();
    else if (options.scope) authorization = `Bearer ${await fetchToken(options.scope)}`;
  }
  let response = await send(authorization);
  if (response.status === 401 && !isAuthOff() && !management) {
    const challenge = parseChallenge(response.headers.get('WWW-Authenticate'));
    rememberChallenge(challenge);
    if (challenge?.scheme === 'bearer') {
      if (options.scope) forgetToken(options.scope);
      const scope = challenge.params.scope ?? '';
      response = await send(`Bearer ${await fetchToken(scope)}`);
    }
  }
  if (generation !== currentGeneration()) throw new StaleSessionError();
  if (!response.ok) throw await toApiError(response);
  if (options.raw) return { data: null as T, response };
  const text = await response.text();
  const data = (text ? JSON.parse(text) : null) as T;
  return { data, response };
}

/** Extracts the `rel="next"` target of a Link header (relative to the origin). */
export function nextLink(response: Response): string | null {
  const link = response.headers.get('Link');
  if (!link) return null;
  const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  if (!m) return null;
  try {
    const url = new URL(m[1]!, location.origin);
    return url.pathname + url.search;
  } catch {
    return null;
  }
}

/**
 * Signs in: learns the token realm and service from a challenge, then trades the password for
 * a refresh token (grant_type=password, access_type=offline). Returns the refresh token, or
 * 'auth-off' when the registry answers without asking for credentials (auth.mode none).
 * Throws ApiError 401 on bad credentials. The password goes nowhere else.
 */
export async function signInWithPassword(username: string, password: string): Promise<string | 'auth-off'> {
  const probe = await fetch('/acr/v1/_catalog?n=1', { credentials: 'omit', cache: 'no-store', headers: { Accept: 'application/json' } });
  if (probe.ok) return 'auth-off';
  rememberChallenge(parseChallenge(probe.headers.get('WWW-Authenticate')));
  const response = await fetch(realmPath, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: form({ grant_type: 'password', username, password, service: serviceName ?? undefined, scope: 'registry:catalog:*', access_type: 'offline' }),
    credentials: 'omit',
    cache: 'no-store',
  });
  if (!response.ok) throw await toApiError(response);
  const body = (await response.json()) as TokenResponse;
  if (!body.refresh_token) throw new ApiError(500, [{ code: 'NO_REFRESH_TOKEN', message: 'the token endpoint did not issue a refresh token' }]);
  return body.refresh_token;
}

/**
 * The actions a bearer token for `scope` grants on `name` (decoded from its Docker `access`
 * claim). Used ONLY to decide which buttons to show; the registry checks every call itself.
 */
export async function grantedActions(scope: string, type: string, name: string): Promise<Set<string>> {
  if (isAuthOff()) return new Set();
  const token = await fetchToken(scope);
  try {
    const payload = token.split('.')[1] ?? '';
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as {
      access?: { type?: string; name?: string; actions?: string[] }[];
    };
    const out = new Set<string>();
    for (const entry of claims.access ?? []) {
      if (entry.type === type && entry.name === name) for (const a of entry.actions ?? []) out.add(a);
    }
    return out;
  } catch {
    return new Set();
  }
}
