/**
 * The identity services of one node, built once by src/services.ts: the key ring, the token
 * service, federation, the identity resolver and the login limiter. The token authenticator,
 * the /oauth2 routes and the management API share them.
 */
import type { Logger } from 'pino';
import type { FastifyRequest } from 'fastify';
import type { LazaretConfig } from '../config/schema.ts';
import type { CoreRoles, TransactionalStore } from '../metadata/metadata-store.ts';
import type { IdentityRoles } from './store/index.ts';
import { createKeyRing, type KeyRing } from './signing-keys.ts';
import { createTokenService, type TokenService } from './tokens.ts';
import { createFederation, type Federation } from './federation.ts';
import { createIdentityResolver, type CredentialSource, type IdentityResolver } from './identities.ts';
import { createLoginLimiter, type LoginLimiter, type LoginLimiterOptions } from './brute-force.ts';
import { realmOf, serviceOf } from './challenge.ts';

export interface IdentityServices {
  config: LazaretConfig;
  logger: Logger;
  store: TransactionalStore<CoreRoles & IdentityRoles>;
  keys: KeyRing;
  tokens: TokenService;
  federation: Federation;
  resolver: IdentityResolver;
  limiter: LoginLimiter;
  serviceOf(request: FastifyRequest): string;
  realmOf(request: FastifyRequest): string;
}

export function createIdentityServices(options: { config: LazaretConfig; logger: Logger; store: TransactionalStore<CoreRoles & IdentityRoles>; limiter?: LoginLimiterOptions; sources?: readonly CredentialSource[] }): IdentityServices {
  const { config, logger, store } = options;
  const keys = createKeyRing({
    store: store.signingKeys,
    maxTokenLifetimeSeconds: Math.max(config.auth.accessTokenTtlSeconds, config.auth.refreshTokenTtlSeconds),
  });
  const tokens = createTokenService({ keys, accessTtlSeconds: config.auth.accessTokenTtlSeconds, refreshTtlSeconds: config.auth.refreshTokenTtlSeconds });
  const federation = createFederation(store);
  const resolver = createIdentityResolver({ store, tokens, federation, ...(options.sources ? { sources: options.sources } : {}) });
  const limiter = createLoginLimiter(store.loginThrottle, { logger, ...options.limiter });
  return {
    config,
    logger,
    store,
    keys,
    tokens,
    federation,
    resolver,
    limiter,
    serviceOf: (request) => serviceOf(config, request),
    realmOf: (request) => realmOf(config, request),
  };
}
