/**
 * `auth.mode: token`: Docker token auth as ACR does it. For every request the auth hook asks
 * `authorize(request, routeAccess)`:
 *
 * - no Authorization header: the anonymous principal (pull on everything when anonymous pull
 *   is on, else nothing); a `credentials` route (the /v2/ ping) always challenges it, as ACR
 *   and Distribution do, so clients fetch a token (anonymous or with their credentials);
 * - `Basic`: a user, a repository-scoped token, or the null GUID with a refresh token; checked
 *   directly on every route (/v2, /acr/v1, /api/v1), with brute-force throttling;
 * - `Bearer`: an access token we signed; its `access` claim is all it may do.
 *
 * Then the route's need is checked. Refusals:
 * - anonymous: 401 + challenge with the route's scope;
 * - bad credentials: 401 + challenge (`error="invalid_token"` for a bad bearer token);
 * - bearer token lacking the action: 401 + challenge with `error="insufficient_scope"`, so a
 *   client fetches a token with the right scope;
 * - Basic credentials lacking the permission: 403 DENIED (asking again with the same
 *   password cannot help, and a 401 would make clients loop or prompt).
 */
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AccessContext, RouteAccess } from '../access/actions.ts';
import { accessFromGrants, NO_GRANTS } from '../access/policy.ts';
import { isValidRepositoryName } from '../oci/index.ts';
import { registryError } from '../errors/index.ts';
import type { Authenticator } from './authenticator.ts';
import { challengeTarget, denied, realmOf, serviceOf, unauthorized } from './challenge.ts';
import { grantsFromAccessClaim, NULL_GUID, type Identity } from './identities.ts';
import type { IdentityServices } from './identity-services.ts';

export type Credentials = { scheme: 'none' } | { scheme: 'basic'; username: string; password: string } | { scheme: 'bearer'; token: string } | { scheme: 'other' };

export function parseAuthorization(header: string | undefined): Credentials {
  if (!header) return { scheme: 'none' };
  const space = header.indexOf(' ');
  const scheme = (space === -1 ? header : header.slice(0, space)).toLowerCase();
  const value = space === -1 ? '' : header.slice(space + 1).trim();
  if (scheme === 'bearer' && value) return { scheme: 'bearer', token: value };
  if (scheme === 'basic' && value) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { scheme: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return { scheme: 'other' };
}

/**
 * Checks a username/password (Basic, or the token endpoint's password grant). Throws
 * UNAUTHORIZED (via `fail`) or TOO_MANY_REQUESTS (src/auth/brute-force.ts).
 *
 * Credentials that verified moments ago skip the throttle (no password is being guessed).
 * Otherwise: an in-flight slot for the name and the address (excess refused at once), the
 * attempt reserved in the shared throttle, THEN the password check. Identical concurrent
 * logins (same name, password, address, service) share one check, so a client's parallel
 * requests count once.
 */
export async function loginWithPassword(
  identity: IdentityServices,
  request: FastifyRequest,
  username: string,
  password: string,
  service: string,
  fail: (message: string) => Error,
): Promise<Identity> {
  const pending = pendingLogins.get(identity) ?? new Map<string, Promise<Identity | undefined>>();
  pendingLogins.set(identity, pending);
  const key = createHash('sha256').update(`${username}\0${password}\0${request.ip}\0${service}`).digest('base64');
  let login = pending.get(key);
  if (!login) {
    login = checkLogin(identity, request.ip, username, password, service).finally(() => pending.delete(key));
    pending.set(key, login);
  }
  // Each caller words its own refusal (a /v2 challenge, the token endpoint's Basic realm).
  const found = await login;
  if (!found) throw fail(username === NULL_GUID ? 'invalid or expired refresh token' : 'invalid username or password');
  return found;
}

const pendingLogins = new WeakMap<IdentityServices, Map<string, Promise<Identity | undefined>>>();

/** undefined: wrong credentials (counted); throws 429 when throttled. */
async function checkLogin(identity: IdentityServices, address: string, username: string, password: string, service: string): Promise<Identity | undefined> {
  const { resolver, limiter } = identity;
  if (resolver.recentlyVerified(username, password)) {
    const found = await resolver.byPassword(username, password, service);
    if (found) return found;
  }
  // The null GUID is shared by every refresh-token login: throttle it per address only.
  const limitKey = username === NULL_GUID ? undefined : username;
  const leave = limiter.enter(limitKey, address);
  try {
    if (resolver.isUnguessable(username)) return await resolver.byPassword(username, password, service);
    const attempt = await limiter.reserve(limitKey, address);
    let found: Identity | undefined;
    try {
      found = await resolver.byPassword(username, password, service);
    } catch (err) {
      await attempt.cancelled();
      throw err;
    }
    if (!found) {
      await attempt.failed();
      return undefined;
    }
    await attempt.succeeded();
    return found;
  } finally {
    leave();
  }
}

export function createTokenAuthenticator(identity: IdentityServices): Authenticator {
  const { config, resolver, tokens } = identity;
  const publicAccess = accessFromGrants({ kind: 'anonymous', id: 'anonymous', name: 'anonymous' }, NO_GRANTS);
  // What a bearer token may do, computed once per verified claims object: the token service
  // hands back the same frozen claims for as long as its verification is cached (at most
  // 60 s, never past exp, forgotten with the key ring), so the grants live exactly as long.
  const accessOfClaims = new WeakMap<object, AccessContext>();
  const bearerAccess = (claims: Awaited<ReturnType<typeof tokens.verifyAccessToken>>) => {
    let access = accessOfClaims.get(claims);
    if (!access) {
      access = accessFromGrants({ kind: claims.kind, id: claims.sub, name: claims.name }, grantsFromAccessClaim(claims.access));
      accessOfClaims.set(claims, access);
    }
    return access;
  };

  return {
    async authorize(request: FastifyRequest, need: RouteAccess): Promise<AccessContext> {
      if (need.kind === 'public') return publicAccess;
      // Only a refusal names the realm: not built for the requests that pass.
      const realm = () => realmOf(config, request);
      const service = serviceOf(config, request);

      let repository: string | undefined;
      if (need.kind === 'repository') {
        repository = (request.params as { name?: unknown } | undefined)?.name as string | undefined;
        if (typeof repository !== 'string') throw registryError('DENIED', `route ${request.routeOptions.url} declares a repository action but has no name`);
        if (!isValidRepositoryName(repository)) throw registryError('NAME_INVALID', `invalid repository name ${JSON.stringify(repository.slice(0, 300))}`);
      }
      const target = challengeTarget(need, repository);

      const creds = parseAuthorization(request.headers.authorization);
      let access: AccessContext;
      if (creds.scheme === 'none') {
        if (need.kind === 'credentials') throw unauthorized(realm(), service);
        const anon = await resolver.anonymous();
        access = accessFromGrants(anon.principal, anon.grants);
        if (need.kind === 'authenticated' && !(await resolver.anonymousPullEnabled())) throw unauthorized(realm(), service);
      } else if (creds.scheme === 'basic') {
        const who = await loginWithPassword(identity, request, creds.username, creds.password, service, (m) => unauthorized(realm(), service, target, undefined, m));
        access = accessFromGrants(who.principal, who.grants);
      } else if (creds.scheme === 'bearer') {
        try {
          access = bearerAccess(await tokens.verifyAccessToken(creds.token, service));
        } catch (err) {
          request.log.info({ reason: (err as Error).message }, 'bearer token refused');
          throw unauthorized(realm(), service, target, 'invalid_token', 'the bearer token is invalid or expired');
        }
      } else {
        throw unauthorized(realm(), service, target, 'invalid_token', 'unsupported Authorization header: use Basic or Bearer');
      }

      let allowed = true;
      if (need.kind === 'repository') {
        allowed = access.can(repository!, need.action) || (need.anyOf ?? []).some((a) => access.can(repository!, a));
      } else if (need.kind === 'registry') {
        allowed = access.canRegistry(need.action);
      }
      if (allowed) return access;
      if (creds.scheme === 'none') throw unauthorized(realm(), service, target);
      if (creds.scheme === 'bearer') throw unauthorized(realm(), service, target, 'insufficient_scope', 'the bearer token does not grant this action; request a token with the scope in WWW-Authenticate');
      throw denied(target);
    },
  };
}
