/**
 * The auth module's persistence: users, role assignments, repository-scoped tokens, scope
 * maps, trusted issuers, signing keys, the login throttle (contract: identity-store.ts; tables:
 * tables.ts; migrations 002-identity and 007-login-throttle; conformance section: suite.ts).
 */
import type { ModuleStore } from '../../metadata/module-store.ts';
import type { IdentityRoles } from './identity-store.ts';
import * as identity002 from './migrations/002-identity.ts';
import * as loginThrottle007 from './migrations/007-login-throttle.ts';
import { createRoleAssignmentStore, createUserStore } from './sql/users.ts';
import { createRegistryTokenStore } from './sql/registry-tokens.ts';
import { createLoginThrottleStore } from './sql/login-throttle.ts';
import { createScopeMapStore, createSigningKeyStore, createTrustedIssuerStore } from './sql/identity-config.ts';

export type { IdentityRoles };
export type { TokenRecord } from './identity-store.ts';

export const authStore: ModuleStore<IdentityRoles> = {
  name: 'auth',
  migrations: [['002-identity', identity002], ['007-login-throttle', loginThrottle007]],
  createRoles: (db) => ({
    users: createUserStore(db),
    roleAssignments: createRoleAssignmentStore(db),
    registryTokens: createRegistryTokenStore(db),
    scopeMaps: createScopeMapStore(db),
    trustedIssuers: createTrustedIssuerStore(db),
    signingKeys: createSigningKeyStore(db),
    loginThrottle: createLoginThrottleStore(db),
  }),
};
