/**
 * /api/v1 identities (src/management-api/identity-users.ts, identity-tokens.ts): whoami, the
 * built-in roles, users, role assignments, repository-scoped tokens and scope maps. Everything
 * but whoami and roles needs `admin` (Owner). Generated passwords come back once, in the
 * response that creates them; the portal shows them once and keeps them nowhere.
 */
import type { Static } from 'typebox';
import type * as S from '../../../src/management-api/identity-schemas.ts';
import { api } from './client.ts';

/**
 * The wire types are the server's schemas (src/management-api/identity-schemas.ts), imported
 * as types only: nothing of the server reaches the bundle, and a change of shape there fails
 * the portal's type check here.
 */
export type WhoAmI = Static<typeof S.WhoAmI>;
export type RoleInfo = Static<typeof S.RoleInfo>;
export type User = Static<typeof S.User>;
export type RoleName = Static<typeof S.RoleName>;
export type RegistryToken = Static<typeof S.Token>;
export type ScopeMap = Static<typeof S.ScopeMap>;
type NewUser = Static<typeof S.NewUser>;
type AssignmentBody = Static<typeof S.AssignmentBody>;
type TokenPatch = Static<typeof S.TokenPatch>;
type ScopeMapBody = Static<typeof S.ScopeMapBody>;

export function whoami() {
  return api<WhoAmI>('/api/v1/whoami');
}

export const listRoles = () => api<RoleInfo[]>('/api/v1/roles');

export const listUsers = () => api<User[]>('/api/v1/users');

export function createUser(name: string, password: string | undefined, roles: NonNullable<NewUser['roles']>) {
  const body: NewUser = { name, ...(password ? { password } : {}), roles };
  return api<Static<typeof S.CreatedUser>>('/api/v1/users', { method: 'POST', body });
}

export function resetPassword(name: string) {
  return api<Static<typeof S.PasswordSet>>(`/api/v1/users/${encodeURIComponent(name)}/password`, { method: 'PUT', body: {} });
}

export function deleteUser(name: string) {
  return api<unknown>(`/api/v1/users/${encodeURIComponent(name)}`, { method: 'DELETE' });
}

export function assignRole(user: string, role: RoleName, repository?: string) {
  const body: AssignmentBody = { user, role, ...(repository ? { repository } : {}) };
  return api<Static<typeof S.Assignment>>('/api/v1/role-assignments', { method: 'POST', body });
}

export function removeRole(user: string, role: RoleName, repository?: string) {
  const q = new URLSearchParams({ user, role });
  if (repository) q.set('repository', repository);
  return api<unknown>(`/api/v1/role-assignments?${q}`, { method: 'DELETE' });
}

export const listTokens = () => api<RegistryToken[]>('/api/v1/tokens');

export function createToken(name: string, scopeMap: string) {
  const body: Static<typeof S.NewToken> = { name, scopeMap };
  return api<Static<typeof S.CreatedToken>>('/api/v1/tokens', { method: 'POST', body });
}

export function updateToken(name: string, patch: TokenPatch) {
  return api<RegistryToken>(`/api/v1/tokens/${encodeURIComponent(name)}`, { method: 'PATCH', body: patch });
}

export function deleteToken(name: string) {
  return api<unknown>(`/api/v1/tokens/${encodeURIComponent(name)}`, { method: 'DELETE' });
}

export const listScopeMaps = () => api<ScopeMap[]>('/api/v1/scope-maps');

export function putScopeMap(name: string, description: string, actions: string[]) {
  const body: ScopeMapBody = { description, actions };
  return api<ScopeMap>(`/api/v1/scope-maps/${encodeURIComponent(name)}`, { method: 'PUT', body });
}

export function deleteScopeMap(name: string) {
  return api<unknown>(`/api/v1/scope-maps/${encodeURIComponent(name)}`, { method: 'DELETE' });
}
