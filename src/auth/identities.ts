/**
 * Who is this? Turns credentials into an Identity (principal + grants), re-reading roles,
 * scope maps and token status from the store every time, so a revoked user, disabled token
 * or removed assignment stops working at once for Basic auth and at the next token refresh
 * for bearer tokens.
 *
 * Username/password pairs:
 * - a user name + its password (scrypt);
 * - a repository-scoped token name + one of its two passwords (enabled token, unexpired password);
 * - the null GUID `00000000-0000-0000-0000-000000000000` + a refresh token (or an access
 *   token, whose `access` claim then bounds what it can get), as on ACR.
 * Users and tokens share one namespace (the management API refuses duplicates).
 */
import { createHash } from 'node:crypto';
import type { Principal } from '../access/actions.ts';
import { REGISTRY_ACTIONS, REPOSITORY_ACTIONS, type RegistryAction, type RepositoryAction } from '../access/actions.ts';
import { anonymousGrants, grantsFromRoles, grantsFromScopeMap, NO_GRANTS, type Grants } from '../access/policy.ts';
import { matchesPattern } from '../access/patterns.ts';
import { SYSTEM_SCOPE_MAPS, isSystemScopeMap } from '../access/scope-maps.ts';
import type { CoreRoles } from '../metadata/metadata-store.ts';
import type { IdentityRoles } from './store/index.ts';
import type { FederatedIdentity, Federation } from './federation.ts';
import { dummyPasswordHash, verifyPassword, verifySecret } from './passwords.ts';
import type { AccessEntry, TokenService, TokenSubject } from './tokens.ts';

export const NULL_GUID = '00000000-0000-0000-0000-000000000000';
export const ANONYMOUS_PULL_SETTING = 'auth.anonymousPull';

export interface Identity {
  principal: Principal;
  grants: Grants;
  /** What goes into tokens' sub/kind/name. */
  subject: TokenSubject;
  /** Set when the identity came from an access token presented as a password: an upper bound on grants. */
  fromAccessToken?: boolean;
}

export interface IdentityResolver {
  /**
   * undefined: the credentials are wrong (the caller counts a failed login). Every check that
   * is not a recent cache hit costs one scrypt, whether the name is a user, a repository-scoped
   * token or unknown, so the answer's timing tells nothing about which names exist.
   */
  byPassword(username: string, password: string, service: string): Promise<Identity | undefined>;
  /** Whether these exact credentials verified within the last seconds (no scrypt needed now). */
  recentlyVerified(username: string, password: string): boolean;
  /** Whether `username` belongs to a credential source whose secrets cannot be guessed (CredentialSource.unguessable). */
  isUnguessable(username: string): boolean;
  /**
   * Re-resolves the subject of a verified token; undefined when it no longer exists, is
   * disabled, or (users and repository-scoped tokens) `cred` no longer names a current,
   * unexpired password of it (TokenSubject.cred).
   */
  bySubject(sub: string, cred?: string): Promise<Identity | undefined>;
  anonymous(): Promise<Identity>;
  anonymousPullEnabled(): Promise<boolean>;
  /** Drops the cached anonymous-pull setting (after the management API changes it). */
  forgetSettings(): void;
}

const ANONYMOUS: Principal = { kind: 'anonymous', id: 'anonymous', name: 'anonymous' };
/** Verified Basic credentials are remembered briefly so a burst of requests costs one scrypt. */
const CREDENTIAL_CACHE_MS = 10_000;

export function grantsFromAccessClaim(access: readonly AccessEntry[]): Grants {
  const repository: Grants['repository'] = [];
  const registry: RegistryAction[] = [];
  for (const e of access) {
    if (e.type === 'repository') {
      const actions = e.actions.filter((a): a is RepositoryAction => (REPOSITORY_ACTIONS as readonly string[]).includes(a));
      // The entry names one repository exactly; a name never contains `*`, so it matches only itself.
      if (!e.name.includes('*')) repository.push({ pattern: e.name, actions });
    } else if (e.type === 'registry' && e.actions.includes('*') && (REGISTRY_ACTIONS as readonly string[]).includes(e.name)) {
      registry.push(e.name as RegistryAction);
      // See AccessEntry.quarantineReadPatterns: lets the catalog list held-only repositories.
      if (e.name === 'catalog' && Array.isArray(e.quarantineReadPatterns)) {
        for (const pattern of e.quarantineReadPatterns) {
          if (typeof pattern === 'string') repository.push({ pattern, actions: ['quarantine_read'] });
        }
      }
    }
  }
  return { repository, registry };
}

/** TokenSubject.cred of a password hash (never the hash itself: tokens are readable by their holder). */
export function credentialFingerprint(passwordHash: string): string {
  return createHash('sha256').update('lazaret-cred\0').update(passwordHash).digest('base64url').slice(0, 22);
}

/**
 * `claimed` (from an access token presented as a password) bounded by `current` (the
 * identity's grants now): an action survives only if the identity still holds it there.
 */
export function intersectGrants(claimed: Grants, current: Grants): Grants {
  const repository: Grants['repository'] = [];
  for (const g of claimed.repository) {
    // matchesPattern(held, g.pattern) also says whether a held pattern covers a claimed pattern.
    const actions = g.actions.filter((a) => current.repository.some((c) => c.actions.includes(a) && matchesPattern(c.pattern, g.pattern)));
    if (actions.length > 0) repository.push({ pattern: g.pattern, actions });
  }
  return { repository, registry: claimed.registry.filter((r) => current.registry.includes(r)) };
}

export function identityOfFederated(f: FederatedIdentity): Identity {
  const name = `${f.issuerName}:${f.claimValue}`;
  const principal: Principal = { kind: 'federated', id: `federated:${name}`, name };
  return { principal, grants: f.grants, subject: { sub: `federated:${name}`, kind: 'federated', name } };
}

/**
 * Credentials another module issues and resolves itself (the scan orchestrator's per-job
 * credentials, src/scan/credentials.ts). A source owns a user-name and subject prefix that no
 * user or token name can have.
 */
export interface CredentialSource {
  /**
   * Its passwords are long random secrets the registry minted for a machine (a scan job's
   * 32 bytes), checked with a fast hash. A wrong one is a credential that expired while its
   * holder still used it (a scan cancelled by someone else's verdict), not a guess, so the
   * login throttle does not count it: counted, a busy scanner's stale pulls would slow every
   * login from the scanner's address (the built-in scanner shares 127.0.0.1 with local admins).
   * The in-flight bound still applies.
   */
  unguessable?: boolean;
  ownsUsername(username: string): boolean;
  byPassword(username: string, password: string): Promise<Identity | undefined>;
  ownsSubject(sub: string): boolean;
  bySubject(sub: string, cred?: string): Promise<Identity | undefined>;
}

export function createIdentityResolver(options: { store: Pick<CoreRoles, 'settings'> & IdentityRoles; tokens: TokenService; federation: Federation; sources?: readonly CredentialSource[] }): IdentityResolver {
  const { store, tokens, federation } = options;
  const sources = options.sources ?? [];
  let anonymousPull: { value: boolean; at: number } | undefined;
  const verified = new Map<string, { hash: string; at: number }>();

  async function userIdentity(user: { id: string; name: string; passwordHash: string }): Promise<Identity> {
    const grants = grantsFromRoles(await store.roleAssignments.listForUser(user.id));
    const principal: Principal = { kind: 'user', id: user.id, name: user.name };
    return { principal, grants, subject: { sub: `user:${user.id}`, kind: 'user', name: user.name, cred: credentialFingerprint(user.passwordHash) } };
  }

  async function scopeMapActions(name: string): Promise<string[] | undefined> {
    if (isSystemScopeMap(name)) return SYSTEM_SCOPE_MAPS[name]!.actions;
    return (await store.scopeMaps.get(name))?.actions;
  }

  /** `password`: the one the token signed in with (its fingerprint goes into tokens as `cred`). */
  async function tokenIdentity(token: { id: string; name: string; scopeMap: string; status: string }, password: { name: string; hash: string }): Promise<Identity | undefined> {
    if (token.status !== 'enabled') return undefined;
    const actions = await scopeMapActions(token.scopeMap);
    if (!actions) return undefined;
    const principal: Principal = { kind: 'token', id: token.id, name: token.name };
    return { principal, grants: grantsFromScopeMap(actions), subject: { sub: `token:${token.id}`, kind: 'token', name: token.name, cred: credentialFingerprint(`${password.name}\0${password.hash}`) } };
  }

  async function federatedIdentity(issuerName: string, claimValue: string): Promise<Identity | undefined> {
    const f = await federation.resolve(issuerName, claimValue);
    return f && identityOfFederated(f);
  }

  const cacheKey = (u: string, p: string) => createHash('sha256').update(u).update('\0').update(p).digest('base64');

  const resolver: IdentityResolver = {
    async byPassword(username, password, service) {
      if (username === NULL_GUID) {
        try {
          const claims = await tokens.verifyRefreshToken(password, service);
          return await resolver.bySubject(claims.sub, claims.cred);
        } catch {
          /* not a refresh token: maybe an access token */
        }
        let claims;
        try {
          claims = await tokens.verifyAccessToken(password, service);
        } catch {
          return undefined;
        }
        // The identity must still exist with that password, and the claim is bounded by what it
        // may do now: otherwise an access token could mint fresh ones forever, past revocation.
        const current = claims.sub === 'anonymous' ? await resolver.anonymous() : await resolver.bySubject(claims.sub, claims.cred);
        if (!current) return undefined;
        return { ...current, grants: intersectGrants(grantsFromAccessClaim(claims.access), current.grants), fromAccessToken: true };
      }
      const source = sources.find((s) => s.ownsUsername(username));
      if (source) return source.byPassword(username, password);
      const key = cacheKey(username, password);
      const hit = verified.get(key);
      const fresh = (fingerprint: string) => hit !== undefined && hit.hash === fingerprint && Date.now() - hit.at < CREDENTIAL_CACHE_MS;
      const remember = (fingerprint: string) => {
        if (fresh(fingerprint)) return;
        if (verified.size > 1000) verified.clear();
        verified.set(key, { hash: fingerprint, at: Date.now() });
      };
      const user = await store.users.get(username);
      if (user) {
        const ok = fresh(user.passwordHash) || (await verifyPassword(password, user.passwordHash));
        if (!ok) return undefined;
        remember(user.passwordHash);
        return userIdentity(user);
      }
      const token = await store.registryTokens.get(username);
      if (token) {
        const now = Date.now();
        const match = token.passwords.find((p) => verifySecret(password, p.hash) && (!p.expiry || p.expiry.getTime() > now));
        const fingerprint = match ? `token\0${match.name}\0${match.hash}` : '';
        // Token passwords are random and checked with a fast hash; spend a user's scrypt anyway
        // so a token name answers as slowly as a user name or an unknown one.
        if (!match || !fresh(fingerprint)) await verifyPassword(password, await dummyPasswordHash());
        if (!match) return undefined;
        remember(fingerprint);
        return tokenIdentity(token, match);
      }
      // Unknown name: spend the same time as a wrong password, so names cannot be probed.
      await verifyPassword(password, await dummyPasswordHash());
      return undefined;
    },

    isUnguessable(username) {
      return sources.some((s) => s.unguessable === true && s.ownsUsername(username));
    },

    recentlyVerified(username, password) {
      const hit = verified.get(cacheKey(username, password));
      return hit !== undefined && Date.now() - hit.at < CREDENTIAL_CACHE_MS;
    },

    async bySubject(sub, cred) {
      // Decision: a user or token subject without `cred` (a token from before it existed) is
      // refused; the client signs in again.
      if (sub.startsWith('user:')) {
        const user = await store.users.getById(sub.slice(5));
        return user && cred !== undefined && credentialFingerprint(user.passwordHash) === cred ? userIdentity(user) : undefined;
      }
      if (sub.startsWith('token:')) {
        const token = await store.registryTokens.getById(sub.slice(6));
        const now = Date.now();
        const match = token?.passwords.find((p) => credentialFingerprint(`${p.name}\0${p.hash}`) === cred && (!p.expiry || p.expiry.getTime() > now));
        return token && match ? tokenIdentity(token, match) : undefined;
      }
      const source = sources.find((s) => s.ownsSubject(sub));
      if (source) return source.bySubject(sub, cred);
      if (sub.startsWith('federated:')) {
        const rest = sub.slice(10);
        const i = rest.indexOf(':');
        return i > 0 ? federatedIdentity(rest.slice(0, i), rest.slice(i + 1)) : undefined;
      }
      return undefined;
    },

    async anonymous() {
      const grants = anonymousGrants(await resolver.anonymousPullEnabled());
      return { principal: ANONYMOUS, grants: grants ?? NO_GRANTS, subject: { sub: 'anonymous', kind: 'anonymous', name: 'anonymous' } };
    },

    async anonymousPullEnabled() {
      if (!anonymousPull || Date.now() - anonymousPull.at > 5000) {
        anonymousPull = { value: (await store.settings.get<boolean>(ANONYMOUS_PULL_SETTING)) === true, at: Date.now() };
      }
      return anonymousPull.value;
    },

    forgetSettings() {
      anonymousPull = undefined;
    },
  };
  return resolver;
}
