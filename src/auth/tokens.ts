/**
 * Lazaret's own JWTs: access tokens (the Docker `access` claim) and refresh tokens (ACR's
 * shape, ACR's API reference 2.4). Both are ES256-signed by the key ring and verified strictly:
 * alg ES256 only (so never `none`, never HS256 "signed" with a public key), a known `kid`,
 * issuer `lazaret`, audience = this registry's service, exp/nbf with 30 s leeway, and the
 * right `grant_type` (a refresh token is never accepted as an access token or vice versa).
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, type JWTPayload } from 'jose';
import type { PrincipalKind } from '../access/actions.ts';
import type { KeyRing } from './signing-keys.ts';
import { createTokenCache } from './token-cache.ts';

export const TOKEN_ISSUER = 'lazaret';
export const CLOCK_LEEWAY_SECONDS = 30;

export interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
  /**
   * Only on the `registry:catalog` entry: the repository patterns in which the holder has
   * quarantine read. A catalog token names no repository, so without this a quarantine reader's
   * catalog would leave out repositories that hold only held content. It grants nothing else:
   * no route admits a caller on quarantine read alone; only the gate's list filtering reads it.
   */
  quarantineReadPatterns?: string[];
}

export interface TokenSubject {
  /** `user:<id>`, `token:<id>`, `federated:<issuer>:<claim value>` or `anonymous`. */
  sub: string;
  kind: PrincipalKind;
  /** Display name (principal name). */
  name: string;
  /**
   * Fingerprint of the password the identity signed in with (a user's password hash, or one
   * password of a repository-scoped token); absent for federated and anonymous identities.
   * Carried in every token, so a refresh (or a null-GUID login) re-checks that this very
   * password still exists and has not expired: changing, regenerating, removing or expiring
   * it ends the refresh tokens derived from it (docs/security.md, revocation).
   */
  cred?: string;
}

export interface AccessClaims extends Omit<JWTPayload, 'sub'>, TokenSubject {
  grant_type: 'access_token';
  access: AccessEntry[];
}

export interface RefreshClaims extends Omit<JWTPayload, 'sub'>, TokenSubject {
  grant_type: 'refresh_token';
}

export interface TokenService {
  issueAccessToken(subject: TokenSubject, service: string, access: AccessEntry[]): Promise<{ token: string; expiresIn: number; issuedAt: Date }>;
  issueRefreshToken(subject: TokenSubject, service: string): Promise<{ token: string; expiresIn: number }>;
  /** Throws when the token does not verify (message says why, for the log). */
  verifyAccessToken(token: string, service: string): Promise<AccessClaims>;
  verifyRefreshToken(token: string, service: string): Promise<RefreshClaims>;
}

const credOf = (subject: TokenSubject) => (subject.cred ? { cred: subject.cred } : {});

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export function createTokenService(options: { keys: KeyRing; accessTtlSeconds: number; refreshTtlSeconds: number; cacheEntries?: number }): TokenService {
  // Verified claims by exact token string + expectations (src/auth/token-cache.ts says why a
  // hit is as strict as a verification).
  // Keyed by the token string alone (no key string built and hashed per request); the
  // expectations it was verified against are compared on a hit.
  const verified = createTokenCache<{ grantType: string; service: string; payload: JWTPayload }>({ maxEntries: options.cacheEntries ?? 10_000 });

  async function sign(claims: Record<string, unknown>, subject: string, service: string, ttl: number) {
    const { kid, key } = await options.keys.signingKey();
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ ...claims, version: '1.0' })
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
      .setIssuer(TOKEN_ISSUER)
      .setSubject(subject)
      .setAudience(service)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ttl)
      .setJti(randomUUID())
      .sign(key);
    return { token, issuedAt: new Date(now * 1000) };
  }

  async function verify(token: string, service: string, grantType: string) {
    const ringVersion = await options.keys.version();
    const hit = verified.get(token, ringVersion);
    if (hit && hit.grantType === grantType && hit.service === service) return hit.payload;
    const { payload } = await jwtVerify(token, (header) => options.keys.verificationKey(header), {
      algorithms: ['ES256'],
      issuer: TOKEN_ISSUER,
      audience: service,
      clockTolerance: CLOCK_LEEWAY_SECONDS,
      requiredClaims: ['exp', 'sub', 'iat'],
    });
    if (payload.grant_type !== grantType) throw new Error(`not a ${grantType.replace('_', ' ')}`);
    if (typeof payload.kind !== 'string' || typeof payload.name !== 'string') throw new Error('token lacks kind/name');
    if (payload.cred !== undefined && typeof payload.cred !== 'string') throw new Error('token has a malformed cred');
    if (grantType === 'access_token' && !Array.isArray(payload.access)) throw new Error('token lacks the access claim');
    verified.set(token, ringVersion, { grantType, service, payload: deepFreeze(payload) }, payload.exp!);
    return payload;
  }

  return {
    async issueAccessToken(subject, service, access) {
      const ttl = options.accessTtlSeconds;
      const { token, issuedAt } = await sign({ grant_type: 'access_token', kind: subject.kind, name: subject.name, ...credOf(subject), access, roles: [] }, subject.sub, service, ttl);
      return { token, expiresIn: ttl, issuedAt };
    },
    async issueRefreshToken(subject, service) {
      const ttl = options.refreshTtlSeconds;
      const { token } = await sign(
        { grant_type: 'refresh_token', kind: subject.kind, name: subject.name, ...credOf(subject), permissions: { actions: ['*'], notActions: [] }, roles: [] },
        subject.sub,
        service,
        ttl,
      );
      return { token, expiresIn: ttl };
    },
    async verifyAccessToken(token, service) {
      return (await verify(token, service, 'access_token')) as AccessClaims;
    },
    async verifyRefreshToken(token, service) {
      return (await verify(token, service, 'refresh_token')) as RefreshClaims;
    },
  };
}
