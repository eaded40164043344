/**
 * Where a suite's requests go, so one suite's assertions run against one node and against the
 * three-node HAProxy cluster (test/helpers/cluster.ts) without a copy: the base URL clients
 * use, the token `service`, the first admin's credentials, and the metadata store every node
 * of the target reads (a node's own store in process; for the cluster, one opened on the
 * schema the nodes share). Principals are made the same way on both (users with ACR roles in
 * the store, tokens from /oauth2/token through `url`).
 */
import type { RoleName } from '../../src/access/roles.ts';
import { hashPassword } from '../../src/auth/passwords.ts';
import type { MetadataStore } from '../../src/persistence/index.ts';
import { ADMIN_PASSWORD, ADMIN_USER, basicAuth, serviceOf } from './identities.ts';
import type { TestServer } from './server.ts';

export interface RegistryTarget {
  /** For test names: "one node", "three nodes behind HAProxy". */
  label: string;
  url: string;
  service: string;
  admin: { user: string; password: string };
  store: MetadataStore;
}

/** A token-mode test server (startTokenServer) as a target. */
export function nodeTarget(server: TestServer): RegistryTarget {
  return { label: 'one node', url: server.url, service: serviceOf(server), admin: { user: ADMIN_USER, password: ADMIN_PASSWORD }, store: server.services.store };
}

export const adminAuthOf = (target: RegistryTarget) => basicAuth(target.admin.user, target.admin.password);

/** A user with these roles, written through the target's store with the real password hashing. */
export async function createUserOn(target: RegistryTarget, name: string, password: string, roles: { role: RoleName; repository?: string }[] = []): Promise<void> {
  const user = await target.store.users.create(name, await hashPassword(password));
  if (!user) throw new Error(`user ${name} exists`);
  for (const r of roles) await target.store.roleAssignments.add(user.id, r.role, r.repository);
}

/** An access token from GET /oauth2/token (Basic) for the given scopes, through the target. */
export async function accessTokenOn(target: RegistryTarget, user: string, password: string, ...scopes: string[]): Promise<string> {
  const q = new URLSearchParams({ service: target.service });
  for (const s of scopes) q.append('scope', s);
  const res = await fetch(`${target.url}/oauth2/token?${q}`, { headers: { authorization: basicAuth(user, password) } });
  const body = (await res.json()) as { access_token?: string };
  if (res.status !== 200 || !body.access_token) throw new Error(`token request failed: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}
