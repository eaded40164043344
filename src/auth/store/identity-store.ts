/**
 * Identity role objects of the MetadataStore (issue 3): users, role assignments,
 * repository-scoped tokens, scope maps, trusted issuers and the token-signing keys. Secrets
 * are stored only as hashes (passwords) — except signing keys, whose private half must be
 * shared by every node and so lives in the store (protect the database like the key).
 *
 * Conventions as metadata-store.ts: "not found" is undefined/false; `create` returns
 * undefined when the name is taken (atomic: INSERT ... ON CONFLICT DO NOTHING).
 */
import type { RoleName } from '../../access/roles.ts';

export interface UserRecord {
  id: string;
  name: string;
  /** `scrypt$...` (src/auth/passwords.ts). */
  passwordHash: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface UserStore {
  create(name: string, passwordHash: string): Promise<UserRecord | undefined>;
  get(name: string): Promise<UserRecord | undefined>;
  getById(id: string): Promise<UserRecord | undefined>;
  /** By name. */
  list(): Promise<UserRecord[]>;
  count(): Promise<number>;
  setPasswordHash(name: string, passwordHash: string): Promise<boolean>;
  /** Deletes the user and its role assignments. */
  delete(name: string): Promise<boolean>;
}

export interface RoleAssignmentRecord {
  id: string;
  userId: string;
  userName: string;
  role: RoleName;
  /** A repository pattern (src/access/patterns.ts); undefined = registry-wide. */
  repository?: string;
  createdAt: Date;
}

export interface RoleAssignmentStore {
  /** Idempotent: assigning twice returns the existing assignment. */
  add(userId: string, role: RoleName, repository?: string): Promise<RoleAssignmentRecord>;
  listForUser(userId: string): Promise<RoleAssignmentRecord[]>;
  /** Every assignment, by user name, role, repository. */
  list(): Promise<RoleAssignmentRecord[]>;
  remove(userId: string, role: RoleName, repository?: string): Promise<boolean>;
}

export type PasswordName = 'password1' | 'password2';

export interface TokenPasswordRecord {
  name: PasswordName;
  /** sha256 of the generated secret (src/auth/passwords.ts: high-entropy, so a fast hash suffices). */
  hash: string;
  expiry?: Date;
  createdAt: Date;
}

export interface TokenRecord {
  id: string;
  name: string;
  scopeMap: string;
  status: 'enabled' | 'disabled';
  passwords: TokenPasswordRecord[];
  createdAt: Date;
  updatedAt: Date;
}

export interface RegistryTokenStore {
  create(name: string, scopeMap: string, status: 'enabled' | 'disabled'): Promise<TokenRecord | undefined>;
  get(name: string): Promise<TokenRecord | undefined>;
  getById(id: string): Promise<TokenRecord | undefined>;
  list(): Promise<TokenRecord[]>;
  /** Names of tokens bound to a scope map (a scope map in use cannot be deleted). */
  usingScopeMap(scopeMap: string): Promise<string[]>;
  update(name: string, patch: { status?: 'enabled' | 'disabled'; scopeMap?: string }): Promise<TokenRecord | undefined>;
  /** Sets (creating or replacing) one of the two passwords. */
  setPassword(tokenId: string, password: Omit<TokenPasswordRecord, 'createdAt'>): Promise<void>;
  removePassword(tokenId: string, name: PasswordName): Promise<boolean>;
  delete(name: string): Promise<boolean>;
}

export interface ScopeMapRecord {
  name: string;
  description: string;
  /** ACR action strings, `repositories/<pattern>/content/read` ... */
  actions: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** User-defined scope maps only; the three system ones are constants (src/access/scope-maps.ts). */
export interface ScopeMapStore {
  get(name: string): Promise<ScopeMapRecord | undefined>;
  list(): Promise<ScopeMapRecord[]>;
  /** Creates or replaces. Returns `created`. */
  put(name: string, description: string, actions: string[]): Promise<{ created: boolean; record: ScopeMapRecord }>;
  delete(name: string): Promise<boolean>;
}

/** A trusted OIDC issuer for /oauth2/exchange (src/auth/federation.ts validates the shape). */
export interface TrustedIssuerRecord {
  name: string;
  /** JSON-serialisable configuration: issuer, audience, jwksUrl | jwks, claim, rules. */
  config: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export interface TrustedIssuerStore {
  get(name: string): Promise<TrustedIssuerRecord | undefined>;
  list(): Promise<TrustedIssuerRecord[]>;
  put(name: string, config: Record<string, unknown>): Promise<{ created: boolean; record: TrustedIssuerRecord }>;
  delete(name: string): Promise<boolean>;
}

export interface SigningKeyRecord {
  /** The JWS `kid`. */
  kid: string;
  alg: 'ES256';
  /** JWK JSON objects. */
  privateJwk: Record<string, unknown>;
  publicJwk: Record<string, unknown>;
  createdAt: Date;
  /** Set when a newer key took over; the key still verifies until its last token expires. */
  retiredAt?: Date;
}

export interface SigningKeyStore {
  /** Newest first. */
  list(): Promise<SigningKeyRecord[]>;
  add(key: Omit<SigningKeyRecord, 'retiredAt'>): Promise<void>;
  /** Marks every key except `keep` as retired at `at` (keys already retired keep their time). */
  retireAllExcept(keep: string, at: Date): Promise<void>;
  /** Deletes keys retired before `before` (their tokens have all expired). */
  purgeRetired(before: Date): Promise<number>;
}

/** One throttled key's state (src/auth/brute-force.ts decides what it means). */
export interface LoginThrottleRow {
  failures: number;
  blockedUntil: number;
  updatedAt: number;
}

/**
 * The login throttle's shared state. Every change is a single conditional statement, so nodes
 * racing on one key never both win: `compareAndSet` only writes when the row still holds what
 * the caller read.
 */
export interface LoginThrottleStore {
  get(key: string): Promise<LoginThrottleRow | undefined>;
  /** Creates an empty row (failures 0) unless one exists. */
  ensure(key: string, now: number): Promise<void>;
  /** Writes `next` when the row still has `expected`'s failures and updatedAt; true when it did. */
  compareAndSet(key: string, expected: LoginThrottleRow, next: LoginThrottleRow): Promise<boolean>;
  /** Gives one counted attempt back (never below 0). */
  refund(key: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** Removes rows last touched before `before` and no longer blocking; returns how many. */
  prune(before: number, now: number): Promise<number>;
}

export interface IdentityRoles {
  users: UserStore;
  roleAssignments: RoleAssignmentStore;
  registryTokens: RegistryTokenStore;
  scopeMaps: ScopeMapStore;
  trustedIssuers: TrustedIssuerStore;
  signingKeys: SigningKeyStore;
  loginThrottle: LoginThrottleStore;
}
