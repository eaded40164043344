/**
 * /api/v1 identities (src/management-api/identity-users.ts, identity-tokens.ts): whoami, the
 * built-in roles, users, role assignments, repository-scoped tokens and scope maps. Everything
 * but whoami and roles needs `admin` (Owner). Generated passwords come back once, in the
 * response that creates them; the portal shows them once and keeps them nowhere.
 */
import { api } from './client.ts';

export interface WhoAmI {
  kind: string;
  name: string;
  roles: { role: string; repository?: string | null }[];
  registry: ('catalog' | 'configure' | 'admin' | 'audit_read' | 'metrics')[];
}

export function whoami() {
  return api<WhoAmI>('/api/v1/whoami');
}

export interface RoleInfo {
  name: string;
  description: string;
  repositoryActions: string[];
  registryActions: string[];
}

export const listRoles = () => api<RoleInfo[]>('/api/v1/roles');

export interface User {
  name: string;
  createdAt: string;
  updatedAt: string;
  roles: { role: string; repository?: string }[];
}

export const listUsers = () => api<User[]>('/api/v1/users');

export function createUser(name: string, password: string | undefined, roles: { role: string; repository?: string }[]) {
  return api<User & { password?: string }>('/api/v1/users', { method: 'POST', body: { name, ...(password ? { password } : {}), roles } });
}

export function resetPassword(name: string) {
  return api<{ name: string; password?: string }>(`/api/v1/users/${encodeURIComponent(name)}/password`, { method: 'PUT', body: {} });
}

export function deleteUser(name: string) {
  return api<unknown>(`/api/v1/users/${encodeURIComponent(name)}`, { method: 'DELETE' });
}

export function assignRole(user: string, role: string, repository?: string) {
  return api<unknown>('/api/v1/role-assignments', { method: 'POST', body: { user, role, ...(repository ? { repository } : {}) } });
}

export function removeRole(user: string, role: string, repository?: string) {
  const q = new URLSearchParams({ user, role });
  if (repository) q.set('repository', repository);
  return api<unknown>(`/api/v1/role-assignments?${q}`, { method: 'DELETE' });
}

export interface RegistryToken {
  name: string;
  scopeMap: string;
  status: 'enabled' | 'disabled';
  passwords: { name: string; creationTime: string; expiry: string | null }[];
  createdAt: string;
  updatedAt: string;
}

export const listTokens = () => api<RegistryToken[]>('/api/v1/tokens');

export function createToken(name: string, scopeMap: string) {
  return api<RegistryToken & { credentials: { username: string; passwords: { name: string; value: string }[] } }>('/api/v1/tokens', {
    method: 'POST',
    body: { name, scopeMap },
  });
}

export function updateToken(name: string, patch: { status?: 'enabled' | 'disabled'; scopeMap?: string }) {
  return api<RegistryToken>(`/api/v1/tokens/${encodeURIComponent(name)}`, { method: 'PATCH', body: patch });
}

export function deleteToken(name: string) {
  return api<unknown>(`/api/v1/tokens/${encodeURIComponent(name)}`, { method: 'DELETE' });
}

export interface ScopeMap {
  name: string;
  description: string;
  actions: string[];
  type: 'SystemDefined' | 'UserDefined';
}

export const listScopeMaps = () => api<ScopeMap[]>('/api/v1/scope-maps');

export function putScopeMap(name: string, description: string, actions: string[]) {
  return api<ScopeMap>(`/api/v1/scope-maps/${encodeURIComponent(name)}`, { method: 'PUT', body: { description, actions } });
}

export function deleteScopeMap(name: string) {
  return api<unknown>(`/api/v1/scope-maps/${encodeURIComponent(name)}`, { method: 'DELETE' });
}
