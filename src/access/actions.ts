/**
 * The vocabulary of authorization: what a route needs and what a principal may do.
 *
 * Repository actions are Docker token actions (pull, push, delete) plus ACR's metadata_read
 * and metadata_write, plus Lazaret's quarantine_read and quarantine_write, which the token
 * service writes into a repository's access entry for principals holding AcrQuarantineReader /
 * AcrQuarantineWriter (docs/quarantine.md "Verdicts"). `pull` NEVER includes held content.
 * `quarantine_exception_write` (the scope-map verb `quarantine/exception-write`) creates,
 * approves and revokes exceptions to findings (docs/release-policy.md "Exceptions"):
 * AcrQuarantineWriter and Owner. It reads no held content by itself.
 */
export const REPOSITORY_ACTIONS = [
  'pull',
  'push',
  'delete',
  'metadata_read',
  'metadata_write',
  'quarantine_read',
  'quarantine_write',
  'quarantine_exception_write',
] as const;
export type RepositoryAction = (typeof REPOSITORY_ACTIONS)[number];

/**
 * Registry-wide actions. `catalog` is Docker's `registry:catalog:*`. `configure` covers the
 * quarantine policy and webhooks (Owner, Contributor); `admin` covers identities, roles,
 * tokens and issuers (Owner); `audit_read` reads the audit log (Owner, Contributor, Reader);
 * `metrics` reads /metrics on the main port (when `metrics.mainPort` is on) and /api/v1/status
 * (Owner): registry-wide aggregates without repository names or digests, but including how
 * many manifests are held, which is an operator's number, not a Reader's.
 */
export const REGISTRY_ACTIONS = ['catalog', 'configure', 'admin', 'audit_read', 'metrics'] as const;
export type RegistryAction = (typeof REGISTRY_ACTIONS)[number];

/** What a route declares. The auth hook (src/http/auth-hook.ts) is the only reader. */
export type RouteAccess =
  /** No credentials needed at all (token endpoints, JWKS, health, portal assets). */
  | { kind: 'public' }
  /** Any authenticated principal (or anonymous when anonymous pull is on): the API's reads. */
  | { kind: 'authenticated' }
  /**
   * Credentials that verify, of any principal (an anonymous access token included); a caller
   * with no Authorization header at all is always challenged, even with anonymous pull on.
   * The `/v2/` ping: its 401 + Bearer challenge is how docker, podman and skopeo learn the
   * token realm; answering 200 to a bare request makes them send no credentials at all.
   */
  | { kind: 'credentials' }
  /**
   * A repository action on the repository named by the route's `name` param. `anyOf` lists
   * further actions that ALSO satisfy the route (any one suffices); challenges still name
   * `action`. Used where the body decides what is needed and the handler checks it: the
   * /acr/v1 manifest PATCH accepts `metadata_write` (changeable attributes) or
   * `quarantine_write` (verdicts; a scanner's pull,push token carries it, docs/quarantine.md "Verdicts").
   */
  | { kind: 'repository'; action: RepositoryAction; anyOf?: readonly RepositoryAction[] }
  | { kind: 'registry'; action: RegistryAction };

export type PrincipalKind = 'anonymous' | 'user' | 'token' | 'federated';

export interface Principal {
  kind: PrincipalKind;
  /** Stable id (user or token id; `anonymous`). */
  id: string;
  /** Display name used in logs, audit entries and event `actor`. */
  name: string;
}

/**
 * What the request's principal may do, already resolved from roles, scope maps or a bearer
 * token's `access` claim. Handlers and the gate ask this; they never look at roles.
 */
export interface AccessContext {
  readonly principal: Principal;
  can(repository: string, action: RepositoryAction): boolean;
  canRegistry(action: RegistryAction): boolean;
  /**
   * Whether the principal holds `action` on EVERY repository whose name starts with `prefix`
   * (`''`: every repository), including ones that do not exist yet. For rights over a pattern
   * rather than a name: an exception for `team-a/*` needs exception write on all of `team-a/`.
   */
  canEveryUnder(prefix: string, action: RepositoryAction): boolean;
}

const QUARANTINE_ACTIONS: readonly RepositoryAction[] = ['quarantine_read', 'quarantine_write', 'quarantine_exception_write'];

/**
 * The principal of `auth.mode: none`: everything except the quarantine actions (held content
 * and its governance need someone to hold them responsible).
 */
export function unrestrictedAccess(): AccessContext {
  const principal: Principal = { kind: 'anonymous', id: 'anonymous', name: 'anonymous' };
  return {
    principal,
    can: (_repository, action) => !QUARANTINE_ACTIONS.includes(action),
    canRegistry: () => true,
    canEveryUnder: (_prefix, action) => !QUARANTINE_ACTIONS.includes(action),
  };
}

/** Grants nothing at all (unmatched routes). */
export function noAccess(): AccessContext {
  return { ...unrestrictedAccess(), can: () => false, canRegistry: () => false, canEveryUnder: () => false };
}

/**
 * A non-person deciding verdicts (the scan orchestrator as `scanner:<name>`, a release policy as
 * `policy:<name>`): quarantine write on `repository` and nothing else, so its verdicts go
 * through the registry service's verdict path like an AcrQuarantineWriter's PATCH (access
 * check, audit, lifecycle) and it can change nothing beyond that repository.
 */
export function verdictWriterAccess(actor: string, repository: string): AccessContext {
  return {
    principal: { kind: 'token', id: actor, name: actor },
    can: (r, action) => r === repository && action === 'quarantine_write',
    canRegistry: () => false,
    canEveryUnder: () => false,
  };
}
