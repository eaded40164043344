/**
 * Identities for tests in token mode (the default `auth.mode`).
 *
 *   const server = await startTokenServer();                 // admin / ADMIN_PASSWORD is Owner
 *   await createUser(server, 'alice', 'alice-password', [{ role: 'AcrPull' }, { role: 'AcrPush', repository: 'team-a/*' }]);
 *   headers: { authorization: basicAuth('alice', 'alice-password') }           // Basic, accepted on every route
 *   headers: { authorization: await bearer(server, 'alice', 'alice-password', 'repository:team-a/x:pull,push') }
 *
 * createUser writes through the real store with the real password hashing (no mock); the
 * management API's own tests cover the /api/v1 path.
 */
import type { RoleName } from '../../src/access/roles.ts';
import { hashPassword } from '../../src/auth/passwords.ts';
import { startTestServer, type TestServer } from './server.ts';

export const ADMIN_USER = 'admin';
export const ADMIN_PASSWORD = 'test-admin-password';

/** A real server in token mode whose `admin` (Owner) has ADMIN_PASSWORD. */
export function startTokenServer(overrides: Record<string, unknown> = {}, options: { dataDir?: string } = {}): Promise<TestServer> {
  return startTestServer({ 'auth.mode': 'token', 'auth.adminPassword': ADMIN_PASSWORD, ...overrides }, options);
}

export const basicAuth = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
export const adminAuth = () => basicAuth(ADMIN_USER, ADMIN_PASSWORD);

export async function createUser(
  server: TestServer,
  name: string,
  password: string,
  roles: { role: RoleName; repository?: string }[] = [],
): Promise<void> {
  const store = server.services.store;
  const user = await store.users.create(name, await hashPassword(password));
  if (!user) throw new Error(`user ${name} exists`);
  for (const r of roles) await store.roleAssignments.add(user.id, r.role, r.repository);
}

/** The `service` a client must ask tokens for: the configured one, else the server's host. */
export const serviceOf = (server: TestServer) => server.services.config.service ?? new URL(server.url).host;

/** Fetches an access token with GET /oauth2/token (Basic) for the given scopes. */
export async function accessToken(server: TestServer, user: string, password: string, ...scopes: string[]): Promise<string> {
  const q = new URLSearchParams({ service: serviceOf(server) });
  for (const s of scopes) q.append('scope', s);
  const res = await fetch(`${server.url}/oauth2/token?${q}`, { headers: { authorization: basicAuth(user, password) } });
  const body = (await res.json()) as { access_token?: string };
  if (res.status !== 200 || !body.access_token) throw new Error(`token request failed: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

/** `Bearer <token>` for the given scopes. */
export async function bearer(server: TestServer, user: string, password: string, ...scopes: string[]): Promise<string> {
  return `Bearer ${await accessToken(server, user, password, ...scopes)}`;
}
