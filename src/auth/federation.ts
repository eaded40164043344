/**
 * Federated identity: what AAD is to ACR. A trusted issuer is an OIDC provider (a CI system,
 * an IdP) whose JWTs `/oauth2/exchange` accepts. Its configuration:
 *
 *   { issuer: "https://token.actions.example", audience: "lazaret",
 *     jwksUrl: "https://.../jwks"        // or  jwks: { keys: [...] }  (static public keys)
 *     claim: "sub",                      // which claim names the caller (default sub)
 *     rules: [ { match: "repo:org/app:*", roles: [{ role: "AcrPush", repository: "org/app" }] },
 *              { match: "deploy-bot", user: "deployer" } ] }
 *
 * A rule's `match` is the claim's exact value, or a glob where `*` matches any characters.
 * Every matching rule contributes: its `roles`, and, with `user`, that Lazaret user's role
 * assignments. No matching rule: the token is refused. The federated principal is named
 * `<issuer name>:<claim value>`; its permissions are re-read on every refresh, so deleting the
 * issuer or changing a rule takes effect within one access-token lifetime.
 *
 * Verification: asymmetric algorithms only, the configured issuer and audience, `exp`
 * required, 30 s clock leeway.
 */
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, jwtVerify, type JWK, type JWTVerifyGetKey } from 'jose';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { BUILT_IN_ROLES } from '../access/roles.ts';
import { isValidPattern } from '../access/patterns.ts';
import { grantsFromRoles, mergeGrants, type Grants, type RoleAssignmentLike } from '../access/policy.ts';
import type { IdentityRoles } from './store/index.ts';
import { registryError } from '../errors/index.ts';
import { CLOCK_LEEWAY_SECONDS } from './tokens.ts';

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

const roleRef = Type.Object(
  {
    role: Type.Enum([...BUILT_IN_ROLES]),
    repository: Type.Optional(Type.Refine(Type.String(), isValidPattern, () => 'must be a repository name, `prefix/*` or `*`')),
  },
  { additionalProperties: false },
);

const rule = Type.Refine(
  Type.Object(
    { match: Type.String({ minLength: 1 }), user: Type.Optional(Type.String({ minLength: 1 })), roles: Type.Optional(Type.Array(roleRef)) },
    { additionalProperties: false },
  ),
  (r) => r.user !== undefined || (r.roles?.length ?? 0) > 0,
  () => 'a rule needs `user` or `roles`',
);

export const issuerConfigSchema = Type.Refine(
  Type.Object(
    {
      issuer: Type.String({ minLength: 1 }),
      audience: Type.String({ minLength: 1 }),
      jwksUrl: Type.Optional(Type.String({ format: 'url', pattern: '^https?://' })),
      jwks: Type.Optional(Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown()), { minItems: 1 }) })),
      claim: Type.String({ minLength: 1, default: 'sub' }),
      rules: Type.Array(rule, { minItems: 1 }),
    },
    { additionalProperties: false },
  ),
  (c) => (c.jwksUrl === undefined) !== (c.jwks === undefined),
  () => 'give exactly one of `jwksUrl` or `jwks`',
);
export type IssuerConfig = Static<typeof issuerConfigSchema>;

/** Validates an issuer configuration; throws BAD_REQUEST naming the field. */
export function parseIssuerConfig(raw: unknown): IssuerConfig {
  const value = Value.Default(issuerConfigSchema, structuredClone(raw ?? {}));
  const problem = Value.Errors(issuerConfigSchema, value).find((e) => e.keyword !== 'additionalProperties');
  if (!problem) return value as IssuerConfig;
  const path = problem.instancePath.split('/').slice(1).join('.');
  throw registryError('BAD_REQUEST', `${path || 'issuer'}: ${problem.keyword === 'boolean' ? 'unknown key' : problem.message}`);
}

export function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
  return re.test(value);
}

export interface FederatedIdentity {
  issuerName: string;
  claimValue: string;
  grants: Grants;
}

export interface Federation {
  /** Verifies an external JWT; throws UNAUTHORIZED (message says why) when it is not acceptable. */
  exchange(jwt: string): Promise<FederatedIdentity>;
  /** Re-resolves a federated identity (on refresh); undefined when the issuer or every rule is gone. */
  resolve(issuerName: string, claimValue: string): Promise<FederatedIdentity | undefined>;
}

export function createFederation(store: IdentityRoles): Federation {
  const keySets = new Map<string, { fingerprint: string; keys: JWTVerifyGetKey }>();
  function keySetFor(name: string, config: IssuerConfig): JWTVerifyGetKey {
    const fingerprint = JSON.stringify([config.jwksUrl, config.jwks]);
    const cached = keySets.get(name);
    if (cached?.fingerprint === fingerprint) return cached.keys;
    const keys = config.jwksUrl
      ? createRemoteJWKSet(new URL(config.jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000, cacheMaxAge: 600_000 })
      : createLocalJWKSet({ keys: config.jwks!.keys as JWK[] });
    keySets.set(name, { fingerprint, keys });
    return keys;
  }

  async function grantsFor(config: IssuerConfig, claimValue: string): Promise<Grants | undefined> {
    const rules = config.rules.filter((r) => globMatch(r.match, claimValue));
    if (rules.length === 0) return undefined;
    const parts: Grants[] = [];
    for (const rule of rules) {
      if (rule.roles) parts.push(grantsFromRoles(rule.roles as RoleAssignmentLike[]));
      if (rule.user) {
        const user = await store.users.get(rule.user);
        if (user) parts.push(grantsFromRoles(await store.roleAssignments.listForUser(user.id)));
      }
    }
    return mergeGrants(...parts);
  }

  return {
    async exchange(jwt) {
      let iss: string | undefined;
      try {
        iss = decodeJwt(jwt).iss;
      } catch {
        throw registryError('UNAUTHORIZED', 'the access_token is not a JWT');
      }
      const issuers = await store.trustedIssuers.list();
      const match = issuers.find((i) => (i.config as { issuer?: string }).issuer === iss);
      if (!match || !iss) throw registryError('UNAUTHORIZED', `the access_token's issuer ${JSON.stringify(iss ?? null)} is not a trusted issuer`);
      const config = parseIssuerConfig(match.config);
      let claimValue: unknown;
      try {
        const { payload } = await jwtVerify(jwt, keySetFor(match.name, config), {
          algorithms: ASYMMETRIC,
          issuer: config.issuer,
          audience: config.audience,
          clockTolerance: CLOCK_LEEWAY_SECONDS,
          requiredClaims: ['exp'],
        });
        claimValue = payload[config.claim];
      } catch (err) {
        throw registryError('UNAUTHORIZED', `the access_token does not verify against issuer ${match.name}: ${(err as Error).message}`);
      }
      if (typeof claimValue !== 'string' || claimValue === '') {
        throw registryError('UNAUTHORIZED', `the access_token has no string claim ${JSON.stringify(config.claim)}`);
      }
      const grants = await grantsFor(config, claimValue);
      if (!grants) throw registryError('UNAUTHORIZED', `no rule of issuer ${match.name} maps ${config.claim}=${JSON.stringify(claimValue)}`);
      return { issuerName: match.name, claimValue, grants };
    },
    async resolve(issuerName, claimValue) {
      const record = await store.trustedIssuers.get(issuerName);
      if (!record) return undefined;
      const grants = await grantsFor(parseIssuerConfig(record.config), claimValue);
      return grants && { issuerName, claimValue, grants };
    },
  };
}
