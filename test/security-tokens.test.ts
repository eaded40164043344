/**
 * Security review, tokens: forged and misused JWTs, revocation, scope tricks. Real server in
 * token mode, real HTTP; JWTs are forged with jose against the server's real audience.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, decodeJwt, decodeProtectedHeader, generateKeyPair } from 'jose';
import type { TestServer } from './helpers/server.ts';
import { ADMIN_PASSWORD, accessToken, adminAuth, basicAuth, createUser, serviceOf, startTokenServer } from './helpers/identities.ts';
import { call, pushImage } from './helpers/quarantine-fixtures.ts';
import { hashSecret } from '../src/auth/passwords.ts';
import { NULL_GUID } from '../src/auth/identities.ts';

const PASSWORD = 'security-password-1';

describe('security: tokens', () => {
  let s: TestServer;
  let u: string;
  let service: string;

  before(async () => {
    s = await startTokenServer();
    u = s.url;
    service = serviceOf(s);
    await createUser(s, 'reader', PASSWORD, [{ role: 'AcrPull' }]);
    await pushImage(u, 'team-a/app', { seed: 'sec-a', tag: 'v1', headers: { authorization: adminAuth() } });
    await pushImage(u, 'team-b/app', { seed: 'sec-b', tag: 'v1', headers: { authorization: adminAuth() } });
  });
  after(() => s.close());

  const pull = (auth: string, repo = 'team-a/app') => call(u, 'GET', `/v2/${repo}/tags/list`, { headers: { authorization: auth } });
  async function tokenWith(user: string, password: string, query: Record<string, string | string[]>) {
    const q = new URLSearchParams({ service });
    for (const [k, v] of Object.entries(query)) for (const x of [v].flat()) q.append(k, x);
    return call(u, 'GET', `/oauth2/token?${q}`, { headers: { authorization: basicAuth(user, password) } });
  }
  const form = (_fields: Record<string, string>) => ({ 'content-type': 'application/x-www-form-urlencoded' });
  async function post(fields: Record<string, string>) {
    const res = await fetch(`${u}/oauth2/token`, { method: 'POST', headers: form(fields), body: new URLSearchParams(fields) });
    return { status: res.status, body: (await res.json()) as Record<string, string> };
  }

  test('forged access tokens are refused: alg none, HS256 keyed with the public JWK, a foreign ES256 key under a known kid, unknown kid', async () => {
    const real = await accessToken(s, 'reader', PASSWORD, 'repository:team-a/app:pull');
    assert.equal((await pull(`Bearer ${real}`)).status, 200);
    const claims = decodeJwt(real);
    const { kid } = decodeProtectedHeader(real);
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const none = `${b64({ alg: 'none', typ: 'JWT', kid })}.${b64(claims)}.`;
    const jwks = (await call(u, 'GET', '/oauth2/jwks')).body as { keys: Record<string, string>[] };
    const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid }).sign(new TextEncoder().encode(JSON.stringify(jwks.keys[0])));
    const { privateKey } = await generateKeyPair('ES256');
    const foreign = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid }).sign(privateKey);
    const unknownKid = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'no-such-key' }).sign(privateKey);
    for (const [what, t] of Object.entries({ none, hs, foreign, unknownKid })) {
      const r = await pull(`Bearer ${t}`);
      assert.equal(r.status, 401, what);
      assert.match(String(r.headers['www-authenticate']), /error="invalid_token"/, what);
    }
  });

  test('a refresh token is not an access token and an access token is not a refresh token', async () => {
    const r = await tokenWith('reader', PASSWORD, { scope: 'repository:team-a/app:pull', offline_token: 'true' });
    assert.equal(r.status, 200);
    const { access_token, refresh_token } = r.body as Record<string, string>;
    assert.ok(refresh_token);
    assert.equal((await pull(`Bearer ${refresh_token}`)).status, 401);
    assert.equal((await post({ grant_type: 'refresh_token', service, refresh_token: access_token!, scope: 'repository:team-a/app:pull' })).status, 401);
    assert.equal((await post({ grant_type: 'refresh_token', service, refresh_token: refresh_token!, scope: 'repository:team-a/app:pull' })).status, 200);
  });

  test('scope tricks grant nothing: other case, extra colons, a class, a pattern as the name', async () => {
    await s.services.store.scopeMaps.put('team-a-pull', 'team-a only', ['repositories/team-a/*/content/read']);
    const token = (await s.services.store.registryTokens.create('ci-team-a', 'team-a-pull', 'enabled'))!;
    await s.services.store.registryTokens.setPassword(token.id, { name: 'password1', hash: hashSecret('ci-team-a-secret-0123456789') });
    const scopes = ['repository:Team-A/app:pull', 'repository:team-a/app:tag:pull', 'repository:team-a/*:pull', 'repository:team-b/app:pull', 'registry:catalog:*', 'repository(plugin):team-b/app:pull'];
    const r = await tokenWith('ci-team-a', 'ci-team-a-secret-0123456789', { scope: scopes });
    assert.equal(r.status, 200);
    assert.deepEqual(decodeJwt(r.body.access_token).access, []);
    const ok = await tokenWith('ci-team-a', 'ci-team-a-secret-0123456789', { scope: 'repository(plugin):team-a/app:pull,push' });
    assert.deepEqual(decodeJwt(ok.body.access_token).access, [{ type: 'repository', name: 'team-a/app', actions: ['pull'] }]);
    // Basic auth with the token: team-b and the catalog are refused outright.
    assert.equal((await pull(basicAuth('ci-team-a', 'ci-team-a-secret-0123456789'), 'team-b/app')).status, 403);
    assert.equal((await call(u, 'GET', '/v2/_catalog', { headers: { authorization: basicAuth('ci-team-a', 'ci-team-a-secret-0123456789') } })).status, 403);
    assert.equal((await pull(basicAuth('ci-team-a', 'ci-team-a-secret-0123456789'))).status, 200);
  });

  test('an expired or not-yet-valid token, or one for another audience or issuer, is refused even when signed by our key', async () => {
    // Sign with the server's own key ring, so only the claim is wrong.
    const { kid, key } = await s.services.identity.keys.signingKey();
    const now = Math.floor(Date.now() / 1000);
    const base = { grant_type: 'access_token', kind: 'user', name: 'reader', access: [{ type: 'repository', name: 'team-a/app', actions: ['pull'] }] };
    const make = (iss: string, aud: string, iat: number, nbf: number, exp: number) =>
      new SignJWT(base).setProtectedHeader({ alg: 'ES256', kid }).setIssuer(iss).setAudience(aud).setSubject('user:x').setIssuedAt(iat).setNotBefore(nbf).setExpirationTime(exp).sign(key);
    assert.equal((await pull(`Bearer ${await make('lazaret', service, now, now, now + 60)}`)).status, 200, 'the control token works');
    assert.equal((await pull(`Bearer ${await make('lazaret', service, now - 600, now - 600, now - 120)}`)).status, 401, 'expired');
    assert.equal((await pull(`Bearer ${await make('lazaret', service, now, now + 600, now + 900)}`)).status, 401, 'not yet valid');
    assert.equal((await pull(`Bearer ${await make('lazaret', 'other.example', now, now, now + 60)}`)).status, 401, 'audience');
    assert.equal((await pull(`Bearer ${await make('someone-else', service, now, now, now + 60)}`)).status, 401, 'issuer');
  });

  test('the null GUID with an access token cannot outlive the identity: a deleted user gets no fresh token', async () => {
    await createUser(s, 'leaver', PASSWORD, [{ role: 'AcrPull' }]);
    const t = await accessToken(s, 'leaver', PASSWORD, 'repository:team-a/app:pull');
    const user = (await s.services.store.users.get('leaver'))!;
    await s.services.store.users.delete(user.name);
    // The bearer token itself lives until it expires (docs/security.md: revocation decision)...
    assert.equal((await pull(`Bearer ${t}`)).status, 200);
    // ...but it must not mint a new one, or a revoked identity would live forever.
    const renewed = await tokenWith(NULL_GUID, t, { scope: 'repository:team-a/app:pull' });
    assert.equal(renewed.status, 401, `renewal after deletion: ${JSON.stringify(renewed.body)}`);
    assert.equal((await pull(basicAuth(NULL_GUID, t))).status, 401, 'Basic with the null GUID and the access token');
  });

  test('the null GUID with an access token is bounded by the identity\'s current grants', async () => {
    await createUser(s, 'mover', PASSWORD, [{ role: 'AcrPull', repository: 'team-a/*' }]);
    const t = await accessToken(s, 'mover', PASSWORD, 'repository:team-a/app:pull');
    const user = (await s.services.store.users.get('mover'))!;
    await s.services.store.roleAssignments.remove(user.id, 'AcrPull', 'team-a/*');
    const renewed = await tokenWith(NULL_GUID, t, { scope: 'repository:team-a/app:pull' });
    assert.ok(renewed.status === 401 || (renewed.status === 200 && (decodeJwt(renewed.body.access_token).access as unknown[]).length === 0), JSON.stringify(renewed.body));
    await s.services.store.roleAssignments.add(user.id, 'AcrPull', 'team-a/*');
    const again = await tokenWith(NULL_GUID, t, { scope: 'repository:team-a/app:pull' });
    assert.equal(again.status, 200);
    assert.deepEqual(decodeJwt(again.body.access_token).access, [{ type: 'repository', name: 'team-a/app', actions: ['pull'] }]);
  });

  test('a disabled token or a removed token password ends its refresh tokens; a changed user password ends the user\'s', async () => {
    await s.services.store.scopeMaps.put('team-a-read', 'team-a read', ['repositories/team-a/app/content/read']);
    const token = (await s.services.store.registryTokens.create('ci-rotating', 'team-a-read', 'enabled'))!;
    await s.services.store.registryTokens.setPassword(token.id, { name: 'password1', hash: hashSecret('rotating-secret-one-0123456789') });
    await s.services.store.registryTokens.setPassword(token.id, { name: 'password2', hash: hashSecret('rotating-secret-two-0123456789') });
    const offline = async (user: string, password: string) => (await tokenWith(user, password, { scope: 'repository:team-a/app:pull', offline_token: 'true' })).body.refresh_token!;
    const refresh = (rt: string) => post({ grant_type: 'refresh_token', service, refresh_token: rt, scope: 'repository:team-a/app:pull' });

    const viaOne = await offline('ci-rotating', 'rotating-secret-one-0123456789');
    const viaTwo = await offline('ci-rotating', 'rotating-secret-two-0123456789');
    assert.equal((await refresh(viaOne)).status, 200);
    // Regenerating password1 (ACR's way to revoke it) ends refresh tokens got with the old password1.
    await s.services.store.registryTokens.setPassword(token.id, { name: 'password1', hash: hashSecret('rotating-secret-new-0123456789') });
    assert.equal((await refresh(viaOne)).status, 401, 'refresh token of a replaced password');
    assert.equal((await pull(basicAuth(NULL_GUID, viaOne))).status, 401, 'null GUID login with it');
    assert.equal((await refresh(viaTwo)).status, 200, 'password2 is untouched');
    // An expired password ends them too.
    await s.services.store.registryTokens.setPassword(token.id, { name: 'password2', hash: hashSecret('rotating-secret-two-0123456789'), expiry: new Date(Date.now() - 1000) });
    assert.equal((await refresh(viaTwo)).status, 401, 'refresh token of an expired password');
    // Disabling the token ends every refresh token.
    const fresh = await offline('ci-rotating', 'rotating-secret-new-0123456789');
    await s.services.store.registryTokens.update('ci-rotating', { status: 'disabled' });
    assert.equal((await refresh(fresh)).status, 401, 'disabled token');

    await createUser(s, 'rotator', PASSWORD, [{ role: 'AcrPull' }]);
    const rt = await offline('rotator', PASSWORD);
    assert.equal((await refresh(rt)).status, 200);
    const user = (await s.services.store.users.get('rotator'))!;
    const { hashPassword } = await import('../src/auth/passwords.ts');
    await s.services.store.users.setPasswordHash(user.name, await hashPassword('a-brand-new-password-9'));
    assert.equal((await refresh(rt)).status, 401, 'refresh token from before a password change');
    assert.equal((await refresh(await offline('rotator', 'a-brand-new-password-9'))).status, 200);
  });

  test('the admin password still works (control)', async () => {
    assert.equal((await pull(basicAuth('admin', ADMIN_PASSWORD))).status, 200);
  });
});
