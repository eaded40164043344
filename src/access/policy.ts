/**
 * The pure policy: what an identity may do, from its role assignments or its token's scope
 * map. No I/O; src/access/policy.test.ts checks it with tables. The authenticator resolves an
 * identity's Grants once per request (or once per token issuance) and asks only this module.
 */
import { REGISTRY_ACTIONS, REPOSITORY_ACTIONS, type AccessContext, type Principal, type RegistryAction, type RepositoryAction } from './actions.ts';
import { coversPrefix, matchesPattern } from './patterns.ts';
import { ROLES, type RoleName } from './roles.ts';
import { parseScopeMapAction } from './scope-maps.ts';

/** Repository actions granted on every repository matching `pattern`. */
export interface RepositoryGrant {
  pattern: string;
  actions: readonly RepositoryAction[];
}

/** Everything an identity may do: the union of its grants. */
export interface Grants {
  repository: RepositoryGrant[];
  registry: RegistryAction[];
}

export const NO_GRANTS: Grants = { repository: [], registry: [] };

export interface RoleAssignmentLike {
  role: RoleName;
  /** Undefined: registry-wide. */
  repository?: string;
}

export function grantsFromRoles(assignments: readonly RoleAssignmentLike[]): Grants {
  const repository: RepositoryGrant[] = [];
  const registry = new Set<RegistryAction>();
  for (const a of assignments) {
    const role = ROLES[a.role];
    if (!role) continue;
    repository.push({ pattern: a.repository ?? '*', actions: role.repository });
    // Registry-wide actions only from registry-wide assignments (see roles.ts).
    if (a.repository === undefined) for (const r of role.registry) registry.add(r);
  }
  return { repository, registry: [...registry] };
}

/** Scope-map action strings -> grants. Invalid strings grant nothing (they are rejected when stored). */
export function grantsFromScopeMap(actions: readonly string[]): Grants {
  const repository: RepositoryGrant[] = [];
  for (const value of actions) {
    const entry = parseScopeMapAction(value);
    if (entry) repository.push({ pattern: entry.pattern, actions: [entry.action] });
  }
  return { repository, registry: [] };
}

/** Anonymous pull: `pull` on every repository, nothing else (held content stays held). */
export function anonymousGrants(anonymousPull: boolean): Grants {
  return anonymousPull ? { repository: [{ pattern: '*', actions: ['pull'] }], registry: [] } : NO_GRANTS;
}

export function mergeGrants(...all: Grants[]): Grants {
  return {
    repository: all.flatMap((g) => g.repository),
    registry: [...new Set(all.flatMap((g) => g.registry))],
  };
}

/** The repository actions `grants` allow on `repository`, in REPOSITORY_ACTIONS order. */
export function repositoryActions(grants: Grants, repository: string): RepositoryAction[] {
  const set = new Set<RepositoryAction>();
  for (const g of grants.repository) if (matchesPattern(g.pattern, repository)) for (const a of g.actions) set.add(a);
  return REPOSITORY_ACTIONS.filter((a) => set.has(a));
}

export function accessFromGrants(principal: Principal, grants: Grants): AccessContext {
  const registry = new Set(grants.registry);
  return {
    principal,
    can: (repository, action) => grants.repository.some((g) => g.actions.includes(action) && matchesPattern(g.pattern, repository)),
    canRegistry: (action) => registry.has(action),
    canEveryUnder: (prefix, action) => grants.repository.some((g) => g.actions.includes(action) && coversPrefix(g.pattern, prefix)),
  };
}

/**
 * What a token request for `repository` with `requested` actions is granted: the requested
 * actions the identity holds, plus the quarantine extras (docs/quarantine.md "Verdicts"):
 * `quarantine_read` rides along with ANY granted action when the identity holds it (so a
 * reader's ordinary pull token reads held content), `quarantine_write` only when `push`,
 * `metadata_write` or `quarantine_write` itself was asked for. Neither ever adds `push`.
 * `push` rides along with a granted `pull` when the identity holds push on the repository
 * (issue 10 item 7): the gate shows a pusher its own held pushes (HEAD, the Warning saying why
 * a tag is held), and clients read back what they just pushed with a token asked for pull only
 * (`crane digest` after `crane push`). It grants nothing the identity does not hold.
 * `*` asks for every repository action.
 */
export function grantRepositoryActions(grants: Grants, repository: string, requested: readonly string[]): RepositoryAction[] {
  const asked = new Set<string>(requested.includes('*') ? REPOSITORY_ACTIONS : requested);
  const held = repositoryActions(grants, repository);
  const granted = new Set(held.filter((a) => asked.has(a) && a !== 'quarantine_read' && a !== 'quarantine_write'));
  // quarantine_exception_write is granted only when asked for by name (or `*`), like pull.
  if (held.includes('quarantine_write') && ['push', 'metadata_write', 'quarantine_write'].some((a) => asked.has(a))) {
    granted.add('quarantine_write');
  }
  if (held.includes('push') && granted.has('pull')) granted.add('push');
  if (held.includes('quarantine_read') && (granted.size > 0 || asked.has('quarantine_read'))) granted.add('quarantine_read');
  return REPOSITORY_ACTIONS.filter((a) => granted.has(a));
}

/** Registry scope `registry:<name>:*`: granted as `*` when the identity holds that registry action. */
export function grantRegistryAction(grants: Grants, name: string): boolean {
  return (REGISTRY_ACTIONS as readonly string[]).includes(name) && grants.registry.includes(name as RegistryAction);
}
