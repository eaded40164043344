/**
 * The token service, as ACR's (ACR's API reference 2.2-2.5, 7):
 *
 *   GET  /oauth2/token?service=&scope=...   Basic auth (or none, for anonymous pull)
 *   POST /oauth2/token     form: grant_type=password (username+password, or an EMPTY
 *                          refresh_token = anonymous) | grant_type=refresh_token (refresh_token)
 *   POST /oauth2/exchange  form: grant_type=access_token, service, access_token (a JWT from a
 *                          trusted issuer) -> {"refresh_token": <JWT with exp>}
 *   GET  /oauth2/jwks      the public keys that verify our tokens (JWK Set)
 *
 * Scopes come as repeated `scope` parameters and/or space-separated. What is granted is the
 * intersection of what was asked and what the identity may do; asking for more is not an
 * error. Responses: {access_token, token, expires_in, issued_at} (+ refresh_token when the
 * client asks for an offline token: GET offline_token=true, POST access_type=offline).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { grantRegistryAction, grantRepositoryActions } from '../access/policy.ts';
import { isValidRepositoryName } from '../oci/index.ts';
import { registryError } from '../errors/index.ts';
import type { IdentityServices } from './identity-services.ts';
import { identityOfFederated, type Identity } from './identities.ts';
import { parseScopes, type Scope } from './scope.ts';
import { loginWithPassword, parseAuthorization } from './token-authenticator.ts';
import type { AccessEntry } from './tokens.ts';
import { declareRoutes, serve } from '../http/route-table.ts';
import { ExchangeAnswer, TokenAnswer } from './token-schemas.ts';

type Params = Record<string, string | string[] | undefined>;

const FORM_LIMIT = 64 * 1024;
const PUBLIC = { kind: 'public' } as const;
const tags = ['oauth2 (token endpoints)'];

/** The token endpoints (Docker token auth and ACR's /oauth2), declared once (src/http/route-table.ts). */
export const tokenEndpointRoutes = declareRoutes({
  getToken: { method: 'GET', url: '/oauth2/token', api: 'oauth2', tags, access: PUBLIC, summary: 'An access token for ?service=&scope= with Basic credentials or none (anonymous); the Docker token flow, offline_token=true adds a refresh token', schema: { response: { 200: TokenAnswer } } },
  postToken: { method: 'POST', url: '/oauth2/token', api: 'oauth2', tags, access: PUBLIC, bodyLimit: FORM_LIMIT, summary: 'An access token from a form: grant_type refresh_token or password (ACR)', schema: { response: { 200: TokenAnswer } } },
  postExchange: { method: 'POST', url: '/oauth2/exchange', api: 'oauth2', tags, access: PUBLIC, bodyLimit: FORM_LIMIT, summary: 'A refresh token for a trusted issuer\'s JWT (grant_type access_token; federation)', schema: { response: { 200: ExchangeAnswer } } },
  getJwks: { method: 'GET', url: '/oauth2/jwks', api: 'oauth2', tags, access: PUBLIC, summary: 'The public keys access tokens are signed with' },
});

/** application/x-www-form-urlencoded -> object; repeated keys become arrays. */
export function parseForm(body: string): Params {
  const out: Params = {};
  for (const [k, v] of new URLSearchParams(body)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

const single = (p: Params, key: string): string | undefined => {
  const v = p[key];
  return Array.isArray(v) ? v[0] : v;
};

/** The access claim for `scopes`: requested ∩ allowed, per repository (entries merged). */
export function grantScopes(identity: Identity, scopes: Scope[]): AccessEntry[] {
  const repos = new Map<string, Set<string>>();
  const registry = new Set<string>();
  for (const s of scopes) {
    if (s.type === 'repository') {
      if (!isValidRepositoryName(s.name)) continue;
      const granted = grantRepositoryActions(identity.grants, s.name, s.actions);
      const set = repos.get(s.name) ?? new Set();
      for (const a of granted) set.add(a);
      repos.set(s.name, set);
    } else if (s.type === 'registry' && grantRegistryAction(identity.grants, s.name)) {
      registry.add(s.name);
    }
  }
  const out: AccessEntry[] = [];
  for (const [name, actions] of repos) if (actions.size > 0) out.push({ type: 'repository', name, actions: [...actions] });
  for (const name of registry) {
    const entry: AccessEntry = { type: 'registry', name, actions: ['*'] };
    if (name === 'catalog') {
      const patterns = identity.grants.repository.filter((g) => g.actions.includes('quarantine_read')).map((g) => g.pattern);
      if (patterns.length > 0) entry.quarantineReadPatterns = [...new Set(patterns)];
    }
    out.push(entry);
  }
  return out;
}

export async function registerTokenRoutes(app: FastifyInstance, identity: IdentityServices) {
  const { resolver, tokens, federation } = identity;

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT }, (_req, body, done) => {
    done(null, parseForm(body as string));
  });

  const unauthorized = (request: FastifyRequest, message: string) =>
    registryError('UNAUTHORIZED', message, undefined, { 'WWW-Authenticate': `Basic realm="${identity.realmOf(request)}"` });

  /** The service asked for must be this registry's (tokens are only good here). */
  function checkService(request: FastifyRequest, asked: string | undefined): string {
    const service = identity.serviceOf(request);
    if (asked !== undefined && asked !== '' && asked !== service) {
      throw registryError('BAD_REQUEST', `service ${JSON.stringify(asked)} is not this registry; use service=${JSON.stringify(service)}`);
    }
    return service;
  }

  async function anonymousOrRefuse(request: FastifyRequest): Promise<Identity> {
    if (!(await resolver.anonymousPullEnabled())) throw unauthorized(request, 'authentication required: anonymous pull is disabled');
    return resolver.anonymous();
  }

  async function respond(identity_: Identity, service: string, scopes: Scope[], offline: boolean): Promise<Static<typeof TokenAnswer>> {
    const access = grantScopes(identity_, scopes);
    const { token, expiresIn, issuedAt } = await tokens.issueAccessToken(identity_.subject, service, access);
    const body: Static<typeof TokenAnswer> = { access_token: token, token, expires_in: expiresIn, issued_at: issuedAt.toISOString() };
    if (offline && identity_.principal.kind !== 'anonymous' && !identity_.fromAccessToken) {
      body.refresh_token = (await tokens.issueRefreshToken(identity_.subject, service)).token;
    }
    return body;
  }

  serve(app, tokenEndpointRoutes.getToken, async (request) => {
    const q = request.query as Params;
    const service = checkService(request, single(q, 'service'));
    const creds = parseAuthorization(request.headers.authorization);
    let who: Identity;
    if (creds.scheme === 'basic') {
      who = await loginWithPassword(identity, request, creds.username, creds.password, service, (m) => unauthorized(request, m));
    } else if (creds.scheme === 'none') {
      who = await anonymousOrRefuse(request);
    } else {
      throw unauthorized(request, 'the token endpoint takes Basic credentials');
    }
    return respond(who, service, parseScopes(q.scope), single(q, 'offline_token') === 'true');
  });

  serve(app, tokenEndpointRoutes.postToken, async (request) => {
    const form = formOf(request);
    const service = checkService(request, single(form, 'service'));
    const grant = single(form, 'grant_type');
    let who: Identity;
    if (grant === 'refresh_token') {
      const rt = single(form, 'refresh_token');
      if (!rt) throw registryError('BAD_REQUEST', 'refresh_token is required for grant_type=refresh_token');
      let sub: string;
      let cred: string | undefined;
      try {
        ({ sub, cred } = await tokens.verifyRefreshToken(rt, service));
      } catch (err) {
        request.log.info({ reason: (err as Error).message }, 'refresh token refused');
        throw unauthorized(request, 'invalid or expired refresh token');
      }
      const found = await resolver.bySubject(sub, cred);
      if (!found) throw unauthorized(request, 'the refresh token\'s identity no longer exists or is disabled');
      who = found;
    } else if (grant === 'password') {
      const username = single(form, 'username');
      if (username) {
        who = await loginWithPassword(identity, request, username, single(form, 'password') ?? '', service, (m) => unauthorized(request, m));
      } else if (!single(form, 'refresh_token')) {
        // The Azure SDK's anonymous mode: grant_type=password with an EMPTY refresh_token.
        who = await anonymousOrRefuse(request);
      } else {
        throw registryError('BAD_REQUEST', 'grant_type=password needs username and password (or an empty refresh_token for anonymous access)');
      }
    } else {
      throw registryError('BAD_REQUEST', `unsupported grant_type ${JSON.stringify(grant ?? null)}: use password or refresh_token`);
    }
    return respond(who, service, parseScopes(form.scope), single(form, 'access_type') === 'offline');
  });

  serve(app, tokenEndpointRoutes.postExchange, async (request) => {
    const form = formOf(request);
    const service = checkService(request, single(form, 'service'));
    const grant = single(form, 'grant_type');
    if (grant !== 'access_token') {
      throw registryError('BAD_REQUEST', `unsupported grant_type ${JSON.stringify(grant ?? null)}: only access_token is supported (the refresh-token grants are deprecated in ACR)`);
    }
    const jwt = single(form, 'access_token');
    if (!jwt) throw registryError('BAD_REQUEST', 'access_token is required');
    let federated;
    try {
      federated = await federation.exchange(jwt);
    } catch (err) {
      request.log.warn({ reason: (err as Error).message, address: request.ip }, 'federated token refused');
      throw err;
    }
    const who = identityOfFederated(federated);
    request.log.info({ principal: who.principal.name }, 'federated token exchanged');
    return { refresh_token: (await tokens.issueRefreshToken(who.subject, service)).token };
  });

  serve(app, tokenEndpointRoutes.getJwks, async () => identity.keys.jwks());
}

function formOf(request: FastifyRequest): Params {
  const ct = String(request.headers['content-type'] ?? '').toLowerCase();
  if (!ct.startsWith('application/x-www-form-urlencoded') || typeof request.body !== 'object' || request.body === null) {
    throw registryError('BAD_REQUEST', 'the body must be application/x-www-form-urlencoded');
  }
  return request.body as Params;
}
