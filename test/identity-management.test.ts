/** /api/v1 identities over real HTTP: users, roles, tokens, scope maps, issuers, anonymous pull. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { adminAuth, basicAuth, createUser, startTokenServer } from './helpers/identities.ts';
import type { TestServer } from './helpers/server.ts';

let server: TestServer;
before(async () => {
  server = await startTokenServer();
  await createUser(server, 'contrib', 'contrib-password', [{ role: 'Contributor' }]);
});
after(() => server.close());

type Json = any;
async function api(method: string, path: string, body?: unknown, auth: string | null = adminAuth()) {
  const headers: Record<string, string> = {};
  if (auth) headers.authorization = auth;
  if (body !== undefined || ['POST', 'PUT', 'PATCH'].includes(method)) headers['content-type'] = 'application/json';
  const res = await fetch(server.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as Json };
}
const token = async (user: string, pw: string, scope: string) => {
  const q = new URLSearchParams({ service: new URL(server.url).host, scope });
  const res = await fetch(`${server.url}/oauth2/token?${q}`, { headers: { authorization: basicAuth(user, pw) } });
  return { status: res.status, body: (await res.json()) as Json };
};

test('only Owner administers identities; others get 403, anonymous a challenge', async () => {
  const c = await api('GET', '/api/v1/users', undefined, basicAuth('contrib', 'contrib-password'));
  assert.equal(c.status, 403);
  assert.equal(c.body.errors[0].code, 'DENIED');
  const a = await api('GET', '/api/v1/users', undefined, null);
  assert.equal(a.status, 401);
  assert.match(a.headers.get('www-authenticate')!, /scope="registry:admin:\*"/);
  assert.equal((await api('POST', '/api/v1/users', { name: 'x1' }, basicAuth('contrib', 'contrib-password'))).status, 403);
  const me = await api('GET', '/api/v1/whoami', undefined, basicAuth('contrib', 'contrib-password'));
  assert.equal(me.status, 200);
  assert.deepEqual(me.body.registry, ['catalog', 'configure', 'audit_read']);
});

test('users: create (generated password), roles, set-password, delete; audited', async () => {
  const created = await api('POST', '/api/v1/users', { name: 'alice', roles: [{ role: 'AcrPull' }] });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const pw = created.body.password as string;
  assert.ok(pw.length >= 32);
  assert.equal((await token('alice', pw, 'repository:x:pull')).status, 200);

  const assigned = await api('POST', '/api/v1/role-assignments', { user: 'alice', role: 'AcrPush', repository: 'team-a/*' });
  assert.equal(assigned.status, 201);
  assert.deepEqual({ ...assigned.body, createdAt: undefined }, { user: 'alice', role: 'AcrPush', repository: 'team-a/*', createdAt: undefined });
  const t = await token('alice', pw, 'repository:team-a/x:push');
  assert.deepEqual(decodeJwt(t.body.access_token).access, [{ type: 'repository', name: 'team-a/x', actions: ['push'] }]);
  const list = await api('GET', '/api/v1/role-assignments?user=alice');
  assert.deepEqual(list.body.map((a: Json) => `${a.role}@${a.repository ?? ''}`), ['AcrPull@', 'AcrPush@team-a/*']);
  assert.equal((await api('DELETE', '/api/v1/role-assignments?user=alice&role=AcrPush&repository=team-a/*')).status, 204);
  assert.equal((await api('DELETE', '/api/v1/role-assignments?user=alice&role=AcrPush&repository=team-a/*')).status, 404);

  assert.equal((await api('PUT', '/api/v1/users/alice/password', { password: 'new-alice-password' })).status, 200);
  assert.equal((await token('alice', pw, 'repository:x:pull')).status, 401);
  assert.equal((await token('alice', 'new-alice-password', 'repository:x:pull')).status, 200);

  const users = await api('GET', '/api/v1/users');
  assert.deepEqual(users.body.map((u: Json) => u.name), ['admin', 'alice', 'contrib']);
  assert.equal(users.body[0].roles[0].role, 'Owner');
  assert.equal(JSON.stringify(users.body).includes('scrypt'), false, 'no hashes leave the server');

  assert.equal((await api('DELETE', '/api/v1/users/alice')).status, 204);
  assert.equal((await token('alice', 'new-alice-password', 'repository:x:pull')).status, 401);
  assert.equal((await api('DELETE', '/api/v1/users/alice')).status, 404);

  const audit = await api('GET', '/api/v1/audit?target=user:alice');
  assert.deepEqual(audit.body.entries.map((e: Json) => e.action).reverse(), ['user.create', 'role.assign', 'role.remove', 'user.set-password', 'user.delete']);
  assert.equal(audit.body.entries[0].actor, 'admin');
});

test('users: bad input and conflicts', async () => {
  assert.equal((await api('POST', '/api/v1/users', { name: 'bad name!' })).status, 400);
  assert.equal((await api('POST', '/api/v1/users', { name: 'shorty', password: 'short' })).status, 400);
  assert.equal((await api('POST', '/api/v1/users', { name: '00000000-0000-0000-0000-000000000000' })).status, 400);
  const dup = await api('POST', '/api/v1/users', { name: 'contrib' });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.errors[0].code, 'CONFLICT');
  const badRole = await api('POST', '/api/v1/role-assignments', { user: 'contrib', role: 'Superuser' });
  assert.equal(badRole.status, 400);
  const badPattern = await api('POST', '/api/v1/role-assignments', { user: 'contrib', role: 'AcrPull', repository: 'team-a*' });
  assert.equal(badPattern.status, 400);
  assert.match(badPattern.body.errors[0].message, /repository/);
  assert.equal((await api('POST', '/api/v1/role-assignments', { user: 'ghost', role: 'AcrPull' })).status, 404);
});

test('the last registry-wide Owner cannot be removed', async () => {
  const del = await api('DELETE', '/api/v1/users/admin');
  assert.equal(del.status, 409);
  assert.equal((await api('DELETE', '/api/v1/role-assignments?user=admin&role=Owner')).status, 409);
  // With a second Owner it can.
  await api('POST', '/api/v1/users', { name: 'owner2', password: 'owner2-password', roles: [{ role: 'Owner' }] });
  assert.equal((await api('DELETE', '/api/v1/role-assignments?user=owner2&role=Owner')).status, 204);
});

test('tokens and scope maps', async () => {
  const maps = await api('GET', '/api/v1/scope-maps');
  assert.deepEqual(maps.body.slice(0, 3).map((m: Json) => m.name), ['_repositories_admin', '_repositories_pull', '_repositories_push']);
  assert.equal((await api('PUT', '/api/v1/scope-maps/_repositories_pull', { actions: ['repositories/*/content/write'] })).status, 400);
  const bad = await api('PUT', '/api/v1/scope-maps/team-a-map', { actions: ['repositories/team-a/*/content/sign'] });
  assert.equal(bad.status, 400);
  assert.match(bad.body.errors[0].message, /content\/sign/);
  const put = await api('PUT', '/api/v1/scope-maps/team-a-map', { description: 'team a', actions: ['repositories/team-a/*/content/read', 'repositories/team-a/*/metadata/read'] });
  assert.equal(put.status, 201);
  assert.equal((await api('PUT', '/api/v1/scope-maps/team-a-map', { actions: ['repositories/team-a/*/content/read'] })).status, 200);

  assert.equal((await api('POST', '/api/v1/tokens', { name: 'ci', scopeMap: 'nope' })).status, 400);
  assert.equal((await api('POST', '/api/v1/tokens', { name: 'contrib', scopeMap: 'team-a-map' })).status, 409, 'shares the user namespace');
  const created = await api('POST', '/api/v1/tokens', { name: 'ci', scopeMap: 'team-a-map' });
  assert.equal(created.status, 201);
  const p1 = created.body.credentials.passwords[0].value as string;
  assert.equal(created.body.credentials.passwords[0].name, 'password1');
  const got = await token('ci', p1, 'repository:team-a/x:pull,push repository:team-b/x:pull');
  assert.deepEqual(decodeJwt(got.body.access_token).access, [{ type: 'repository', name: 'team-a/x', actions: ['pull'] }]);
  const fetched = await api('GET', '/api/v1/tokens/ci');
  assert.equal(JSON.stringify(fetched.body).includes(p1), false, 'passwords are shown once');
  assert.equal(fetched.body.passwords[0].name, 'password1');

  assert.equal((await api('PATCH', '/api/v1/tokens/ci', { status: 'disabled' })).body.status, 'disabled');
  assert.equal((await token('ci', p1, 'repository:team-a/x:pull')).status, 401);
  await api('PATCH', '/api/v1/tokens/ci', { status: 'enabled' });
  assert.equal((await token('ci', p1, 'repository:team-a/x:pull')).status, 200);

  const p2 = await api('POST', '/api/v1/tokens/ci/passwords', { name: 'password2', expiry: new Date(Date.now() + 3600_000).toISOString() });
  assert.equal(p2.status, 200);
  assert.equal((await token('ci', p2.body.value, 'repository:team-a/x:pull')).status, 200);
  assert.equal((await api('DELETE', '/api/v1/tokens/ci/passwords/password1')).status, 204);
  assert.equal((await token('ci', p1, 'repository:team-a/x:pull')).status, 401);

  assert.equal((await api('DELETE', '/api/v1/scope-maps/team-a-map')).status, 409, 'in use');
  assert.equal((await api('DELETE', '/api/v1/tokens/ci')).status, 204);
  assert.equal((await api('DELETE', '/api/v1/scope-maps/team-a-map')).status, 204);
  assert.equal((await api('DELETE', '/api/v1/scope-maps/_repositories_admin')).status, 400);
});

test('trusted issuers: validated configuration', async () => {
  const bad = await api('PUT', '/api/v1/trusted-issuers/gh', { issuer: 'https://x', audience: 'a', rules: [{ match: '*', roles: [{ role: 'AcrPull' }] }] });
  assert.equal(bad.status, 400);
  assert.match(bad.body.errors[0].message, /jwksUrl|jwks/);
  const bad2 = await api('PUT', '/api/v1/trusted-issuers/gh', { issuer: 'https://x', audience: 'a', jwksUrl: 'https://x/jwks', rules: [{ match: '*', roles: [{ role: 'Nope' }] }] });
  assert.equal(bad2.status, 400);
  assert.match(bad2.body.errors[0].message, /rules\.0\.roles\.0\.role/);
  const ok = await api('PUT', '/api/v1/trusted-issuers/gh', { issuer: 'https://x', audience: 'a', jwksUrl: 'https://x/jwks', rules: [{ match: 'repo:org/*', roles: [{ role: 'AcrPull', repository: 'org/*' }] }] });
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
  assert.equal(ok.body.claim, 'sub');
  assert.equal((await api('GET', '/api/v1/trusted-issuers')).body.length, 1);
  const clash = await api('PUT', '/api/v1/trusted-issuers/gh2', { issuer: 'https://x', audience: 'b', jwksUrl: 'https://x/jwks', rules: [{ match: '*', user: 'contrib' }] });
  assert.equal(clash.status, 409, 'one entry per iss');
  assert.equal((await api('DELETE', '/api/v1/trusted-issuers/gh')).status, 204);
  assert.equal((await api('GET', '/api/v1/trusted-issuers/gh')).status, 404);
});

test('anonymous pull switch', async () => {
  const anonToken = () => fetch(`${server.url}/oauth2/token?service=${new URL(server.url).host}&scope=repository:x:pull`);
  assert.equal((await api('GET', '/api/v1/anonymous-pull')).body.enabled, false);
  assert.equal((await anonToken()).status, 401);
  assert.equal((await api('PUT', '/api/v1/anonymous-pull', { enabled: true }, basicAuth('contrib', 'contrib-password'))).status, 403);
  assert.deepEqual((await api('PUT', '/api/v1/anonymous-pull', { enabled: true })).body, { enabled: true });
  assert.equal((await anonToken()).status, 200);
  await api('PUT', '/api/v1/anonymous-pull', { enabled: false });
  assert.equal((await anonToken()).status, 401);
});

test('signing key rotation through the API; OpenAPI lists the identity routes', async () => {
  const before = await api('GET', '/api/v1/signing-keys');
  const r = await api('POST', '/api/v1/signing-keys/rotate');
  assert.equal(r.status, 200);
  const keys = await api('GET', '/api/v1/signing-keys');
  assert.equal(keys.body.length, before.body.length + 1);
  assert.equal(keys.body[0].kid, r.body.kid);
  assert.equal(keys.body[0].retiredAt, null);
  assert.ok(keys.body[1].retiredAt);
  assert.equal(JSON.stringify(keys.body).includes('"d"'), false);
  const doc = await api('GET', '/api/v1/openapi.json', undefined, null);
  for (const p of ['/api/v1/users', '/api/v1/role-assignments', '/api/v1/tokens', '/api/v1/scope-maps/{name}', '/api/v1/trusted-issuers/{name}', '/api/v1/anonymous-pull']) {
    assert.ok(doc.body.paths[p], p);
  }
});
