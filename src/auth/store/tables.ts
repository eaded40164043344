/** Table types of the identity tables (migration 002-identity). Conventions as core.ts. */
import type { CoreTables } from '../../metadata/tables/index.ts';

export interface UsersTable {
  id: string;
  name: string;
  password_hash: string;
  created_at: number;
  updated_at: number;
}

export interface RoleAssignmentsTable {
  id: string;
  user_id: string;
  role: string;
  /** Repository pattern; '' = registry-wide (so the unique key needs no NULL). */
  repository: string;
  created_at: number;
}

export interface RegistryTokensTable {
  id: string;
  name: string;
  scope_map: string;
  status: string;
  created_at: number;
  updated_at: number;
}

export interface TokenPasswordsTable {
  token_id: string;
  name: string;
  hash: string;
  expiry: number | null;
  created_at: number;
}

export interface ScopeMapsTable {
  name: string;
  description: string;
  /** JSON array of ACR action strings. */
  actions: string;
  created_at: number;
  updated_at: number;
}

export interface TrustedIssuersTable {
  name: string;
  /** JSON object. */
  config: string;
  created_at: number;
  updated_at: number;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  private_jwk: string;
  public_jwk: string;
  created_at: number;
  retired_at: number | null;
}

/**
 * Login throttling (migration 007-login-throttle): one row per throttled key, shared by every
 * node on the database. `key` is `pair:<address>|<sha256 of identity>` or `addr:<address>`.
 */
export interface LoginThrottleTable {
  key: string;
  /** Attempts counted in the current window (reserved before the password is checked). */
  failures: number;
  /** Until when (ms) further attempts are refused; 0 when free. */
  blocked_until: number;
  /** The last counted attempt (ms); a row older than the window counts as empty. */
  updated_at: number;
}

export interface IdentityTables {
  users: UsersTable;
  role_assignments: RoleAssignmentsTable;
  registry_tokens: RegistryTokensTable;
  token_passwords: TokenPasswordsTable;
  scope_maps: ScopeMapsTable;
  trusted_issuers: TrustedIssuersTable;
  signing_keys: SigningKeysTable;
  login_throttle: LoginThrottleTable;
}

/** What the identity SQL sees. */
export interface IdentityDatabase extends CoreTables, IdentityTables {}
