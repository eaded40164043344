/**
 * The token service over real HTTP: every grant type and its failures, scope handling,
 * strict verification of bearer tokens, rotation, anonymous pull and login throttling.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, exportJWK, generateKeyPair, decodeJwt, decodeProtectedHeader, type JWK } from 'jose';
import { ADMIN_PASSWORD, adminAuth, basicAuth, createUser, startTokenServer } from './helpers/identities.ts';
import type { TestServer } from './helpers/server.ts';
import { generateSecret, hashSecret } from '../src/auth/passwords.ts';
import { ANONYMOUS_PULL_SETTING, NULL_GUID } from '../src/auth/identities.ts';

let server: TestServer;
let service: string;

before(async () => {
  server = await startTokenServer();
  service = new URL(server.url).host;
  await createUser(server, 'puller', 'puller-password', [{ role: 'AcrPull' }]);
  await createUser(server, 'deleter', 'deleter-password', [{ role: 'AcrDelete' }]);
  await createUser(server, 'qwriter', 'qwriter-password', [{ role: 'AcrQuarantineWriter', repository: 'team-a/*' }]);
});
after(() => server.close());

type Json = Record<string, any>;

async function getToken(auth: string | undefined, scopes: string[], extra: Record<string, string> = {}) {
  const q = new URLSearchParams({ service, ...extra });
  for (const s of scopes) q.append('scope', s);
  const res = await fetch(`${server.url}/oauth2/token?${q}`, { headers: auth ? { authorization: auth } : {} });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
}

async function postForm(path: string, form: Record<string, string | string[]>) {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
}

const accessOf = (token: string) => decodeJwt(token).access as { type: string; name: string; actions: string[] }[];

async function v2(path: string, auth?: string) {
  const res = await fetch(`${server.url}${path}`, { headers: auth ? { authorization: auth } : {} });
  return { status: res.status, www: res.headers.get('www-authenticate'), body: (await res.json()) as Json };
}

test('GET /oauth2/token with Basic: repeated and space-separated scopes, granted = requested ∩ allowed', async () => {
  const r = await getToken(adminAuth(), ['repository:a/b:pull,push', 'repository:c:delete registry:catalog:*']);
  assert.equal(r.status, 200);
  assert.equal(r.body.token, r.body.access_token);
  assert.equal(r.body.expires_in, 300);
  assert.match(r.body.issued_at, /^\d{4}-\d\d-\d\dT/);
  assert.equal(r.body.refresh_token, undefined);
  assert.deepEqual(accessOf(r.body.access_token), [
    { type: 'repository', name: 'a/b', actions: ['pull', 'push'] },
    { type: 'repository', name: 'c', actions: ['delete'] },
    { type: 'registry', name: 'catalog', actions: ['*'] },
  ]);
  const header = decodeProtectedHeader(r.body.access_token);
  assert.equal(header.alg, 'ES256');
  const claims = decodeJwt(r.body.access_token);
  assert.equal(claims.aud, service);
  assert.equal(claims.iss, 'lazaret');
  assert.equal(claims.grant_type, 'access_token');
});

test('GET with offline_token=true adds a refresh token (docker login stores it as an identity token)', async () => {
  const r = await getToken(adminAuth(), ['repository:x:pull'], { offline_token: 'true', client_id: 'docker', account: 'admin' });
  assert.equal(r.status, 200);
  assert.equal(decodeJwt(r.body.refresh_token).grant_type, 'refresh_token');
  const again = await postForm('/oauth2/token', { grant_type: 'refresh_token', service, refresh_token: r.body.refresh_token, scope: 'repository:x:pull', client_id: 'docker' });
  assert.equal(again.status, 200);
});

test('scope escalation: more than allowed is silently not granted', async () => {
  const r = await getToken(basicAuth('puller', 'puller-password'), [
    'repository:x:pull,push,delete,metadata_write,quarantine_read,quarantine_write',
    'repository:y:*',
    'registry:admin:*',
    'registry:configure:*',
    'repository:Invalid Name:pull',
    'garbage',
  ]);
  assert.equal(r.status, 200);
  assert.deepEqual(accessOf(r.body.access_token), [
    { type: 'repository', name: 'x', actions: ['pull'] },
    { type: 'repository', name: 'y', actions: ['pull', 'metadata_read'] },
  ]);
  const owner = await getToken(adminAuth(), ['repository:x:quarantine_read']);
  assert.deepEqual(accessOf(owner.body.access_token), [], 'Owner does not get held content');
});

test('a quarantine writer asking pull,push gets quarantine read/write, never push; only in its pattern', async () => {
  const r = await getToken(basicAuth('qwriter', 'qwriter-password'), ['repository:team-a/app:pull,push', 'repository:team-b/app:pull,push']);
  assert.deepEqual(accessOf(r.body.access_token), [{ type: 'repository', name: 'team-a/app', actions: ['pull', 'quarantine_read', 'quarantine_write'] }]);
});

test('wrong password and unknown user: 401 UNAUTHORIZED in the registry error format', async () => {
  for (const auth of [basicAuth('puller', 'nope'), basicAuth('nobody', 'x'), 'Basic !!!', 'Bearer abc']) {
    const r = await getToken(auth, ['repository:x:pull']);
    assert.equal(r.status, 401, auth);
    assert.equal(r.body.errors[0].code, 'UNAUTHORIZED');
  }
});

test('the service must be this registry', async () => {
  const q = new URLSearchParams({ service: 'other.example', scope: 'repository:x:pull' });
  const res = await fetch(`${server.url}/oauth2/token?${q}`, { headers: { authorization: adminAuth() } });
  assert.equal(res.status, 400);
  assert.equal(((await res.json()) as Json).errors[0].code, 'BAD_REQUEST');
});

test('repository-scoped tokens: two passwords, expiry, disable, scope map', async () => {
  const store = server.services.store;
  await store.scopeMaps.put('team-a-rw', 'team a', ['repositories/team-a/*/content/read', 'repositories/team-a/*/content/write']);
  const t = (await store.registryTokens.create('ci-token', 'team-a-rw', 'enabled'))!;
  const p1 = generateSecret();
  const p2 = generateSecret();
  await store.registryTokens.setPassword(t.id, { name: 'password1', hash: hashSecret(p1), expiry: new Date(Date.now() - 1000) });
  await store.registryTokens.setPassword(t.id, { name: 'password2', hash: hashSecret(p2) });

  const expired = await getToken(basicAuth('ci-token', p1), ['repository:team-a/x:pull']);
  assert.equal(expired.status, 401, 'expired password');
  const ok = await getToken(basicAuth('ci-token', p2), ['repository:team-a/x:pull,push,delete', 'repository:team-b/x:pull', 'registry:catalog:*']);
  assert.equal(ok.status, 200);
  assert.deepEqual(accessOf(ok.body.access_token), [{ type: 'repository', name: 'team-a/x', actions: ['pull', 'push'] }]);

  await store.registryTokens.update('ci-token', { status: 'disabled' });
  const disabled = await getToken(basicAuth('ci-token', p2), ['repository:team-a/x:pull']);
  assert.equal(disabled.status, 401, 'disabled token');
  // Basic auth directly on /v2 is refused too.
  assert.equal((await v2('/v2/team-a/x/tags/list', basicAuth('ci-token', p2))).status, 401);
});

test('POST /oauth2/token: password grant (offline -> refresh token), refresh grant, null-GUID login', async () => {
  const pw = await postForm('/oauth2/token', { grant_type: 'password', service, username: 'admin', password: ADMIN_PASSWORD, scope: 'repository:x:pull', access_type: 'offline' });
  assert.equal(pw.status, 200);
  // The Owner holds push on x: it rides along with pull (issue 10 item 7).
  assert.deepEqual(accessOf(pw.body.access_token), [{ type: 'repository', name: 'x', actions: ['pull', 'push'] }]);
  const rt = pw.body.refresh_token as string;
  assert.equal(decodeJwt(rt).grant_type, 'refresh_token');
  assert.ok(decodeJwt(rt).exp);

  const refreshed = await postForm('/oauth2/token', { grant_type: 'refresh_token', service, refresh_token: rt, scope: ['repository:x:pull', 'repository:y:push'] });
  assert.equal(refreshed.status, 200);
  assert.deepEqual(accessOf(refreshed.body.access_token), [
    { type: 'repository', name: 'x', actions: ['pull', 'push'] },
    { type: 'repository', name: 'y', actions: ['push'] },
  ]);

  // docker login -u 00000000-0000-0000-0000-000000000000 -p <refresh token>
  const guid = await getToken(basicAuth(NULL_GUID, rt), ['repository:x:pull']);
  assert.equal(guid.status, 200);
  assert.equal(decodeJwt(guid.body.access_token).name, 'admin');
  // ... and with an access token as password: bounded by that token's access claim.
  // (That claim holds pull and, riding along, the Owner's push on x; nothing on z.)
  const fromAccess = await getToken(basicAuth(NULL_GUID, pw.body.access_token), ['repository:x:pull,push,delete', 'repository:z:pull']);
  assert.deepEqual(accessOf(fromAccess.body.access_token), [{ type: 'repository', name: 'x', actions: ['pull', 'push'] }]);
  assert.equal((await getToken(basicAuth(NULL_GUID, 'not-a-token'), [])).status, 401);

  // A refresh token is not an access token, and an access token is not a refresh token.
  const asBearer = await v2('/v2/x/tags/list', `Bearer ${rt}`);
  assert.equal(asBearer.status, 401);
  assert.match(asBearer.www!, /error="invalid_token"/);
  const accessAsRefresh = await postForm('/oauth2/token', { grant_type: 'refresh_token', service, refresh_token: pw.body.access_token });
  assert.equal(accessAsRefresh.status, 401);

  const wrong = await postForm('/oauth2/token', { grant_type: 'password', service, username: 'admin', password: 'wrong' });
  assert.equal(wrong.status, 401);
  const bogusGrant = await postForm('/oauth2/token', { grant_type: 'client_credentials', service });
  assert.equal(bogusGrant.status, 400);
  assert.match(bogusGrant.body.errors[0].message, /grant_type/);
  const noRefresh = await postForm('/oauth2/token', { grant_type: 'refresh_token', service });
  assert.equal(noRefresh.status, 400);
  const json = await fetch(`${server.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(json.status, 400);
});

test('a deleted user\'s refresh token stops working', async () => {
  await createUser(server, 'leaver', 'leaver-password', [{ role: 'AcrPull' }]);
  const pw = await postForm('/oauth2/token', { grant_type: 'password', service, username: 'leaver', password: 'leaver-password', access_type: 'offline' });
  await server.services.store.users.delete('leaver');
  const r = await postForm('/oauth2/token', { grant_type: 'refresh_token', service, refresh_token: pw.body.refresh_token, scope: 'repository:x:pull' });
  assert.equal(r.status, 401);
});

test('anonymous: refused while off; pull only (never held content) when on', async () => {
  assert.equal((await getToken(undefined, ['repository:x:pull'])).status, 401);
  assert.equal((await postForm('/oauth2/token', { grant_type: 'password', service, refresh_token: '', scope: 'repository:x:pull' })).status, 401);
  const ping = await v2('/v2/');
  assert.equal(ping.status, 401);
  assert.equal(ping.www, `Bearer realm="${server.url}/oauth2/token",service="${service}"`);

  await server.services.store.settings.set(ANONYMOUS_PULL_SETTING, true);
  server.services.identity.resolver.forgetSettings();
  try {
    const g = await getToken(undefined, ['repository:x:pull,push,quarantine_read', 'registry:catalog:*']);
    assert.equal(g.status, 200);
    assert.deepEqual(accessOf(g.body.access_token), [{ type: 'repository', name: 'x', actions: ['pull'] }]);
    const sdk = await postForm('/oauth2/token', { grant_type: 'password', service, refresh_token: '', scope: 'repository:x:pull' });
    assert.equal(sdk.status, 200);
    // The ping still challenges a bare request (clients learn the realm from it) and accepts
    // the anonymous token.
    const anonPing = await v2('/v2/');
    assert.equal(anonPing.status, 401);
    assert.equal(anonPing.www, `Bearer realm="${server.url}/oauth2/token",service="${service}"`);
    assert.equal((await v2('/v2/', `Bearer ${g.body.access_token}`)).status, 200);
    // Without a token, pull routes are open; push and catalog are challenged.
    assert.notEqual((await v2('/v2/x/tags/list')).status, 401);
    assert.equal((await v2('/v2/_catalog')).status, 401);
  } finally {
    await server.services.store.settings.set(ANONYMOUS_PULL_SETTING, false);
    server.services.identity.resolver.forgetSettings();
  }
});

test('challenges: ACR shape, scopes per route, insufficient_scope, Basic without permission is 403', async () => {
  const none = await v2('/v2/team/app/tags/list');
  assert.equal(none.status, 401);
  assert.equal(none.www, `Bearer realm="${server.url}/oauth2/token",service="${service}",scope="repository:team/app:pull"`);
  assert.deepEqual(none.body.errors[0].detail, [{ Type: 'repository', Name: 'team/app', Action: 'pull' }]);
  assert.match(none.body.errors[0].message, /^authentication required/);
  const cat = await v2('/v2/_catalog');
  assert.match(cat.www!, /scope="registry:catalog:\*"/);

  const token = (await getToken(basicAuth('puller', 'puller-password'), ['repository:x:pull'])).body.access_token;
  const other = await v2('/v2/y/tags/list', `Bearer ${token}`);
  assert.equal(other.status, 401);
  assert.match(other.www!, /scope="repository:y:pull",error="insufficient_scope"$/);

  const deleter = await v2('/v2/x/tags/list', basicAuth('deleter', 'deleter-password'));
  assert.equal(deleter.status, 403);
  assert.equal(deleter.body.errors[0].code, 'DENIED');
  assert.equal((await v2('/v2/_catalog', basicAuth('deleter', 'deleter-password'))).status, 403);
  assert.equal((await v2('/v2/_catalog', basicAuth('puller', 'puller-password'))).status, 200);
});

test('bearer tokens are verified strictly', async () => {
  const good = (await getToken(adminAuth(), ['repository:x:pull'])).body.access_token as string;
  assert.notEqual((await v2('/v2/x/tags/list', `Bearer ${good}`)).status, 401);
  const header = decodeProtectedHeader(good);
  const claims = decodeJwt(good);
  const now = Math.floor(Date.now() / 1000);
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

  const forged: [string, string][] = [];
  // alg none
  forged.push(['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`]);
  // HS256 "signed" with our public key as the secret
  const jwks = (await (await fetch(`${server.url}/oauth2/jwks`)).json()) as { keys: JWK[] };
  const pub = new TextEncoder().encode(JSON.stringify(jwks.keys[0]));
  forged.push(['HS256 with the public key', await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: header.kid }).sign(pub)]);
  // a different ES256 key claiming our kid
  const { privateKey } = await generateKeyPair('ES256');
  forged.push(['bad signature', await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: header.kid }).sign(privateKey)]);
  // tampered payload
  const [h, , s] = good.split('.');
  forged.push(['tampered', `${h}.${b64({ ...claims, access: [{ type: 'repository', name: 'x', actions: ['pull', 'push', 'delete'] }] })}.${s}`]);
  // our key, wrong claims
  const { kid, key } = await server.services.identity.keys.signingKey();
  const sign = (c: Record<string, unknown>) => new SignJWT(c).setProtectedHeader({ alg: 'ES256', kid }).sign(key);
  forged.push(['expired', await sign({ ...claims, iat: now - 1000, nbf: now - 1000, exp: now - 120 })]);
  forged.push(['not yet valid', await sign({ ...claims, nbf: now + 600, exp: now + 900 })]);
  forged.push(['other audience', await sign({ ...claims, aud: 'other.example' })]);
  forged.push(['other issuer', await sign({ ...claims, iss: 'someone-else' })]);
  forged.push(['no exp', await sign({ ...claims, exp: undefined })]);
  forged.push(['unknown kid', await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'nope' }).sign(key)]);

  for (const [why, token] of forged) {
    const r = await v2('/v2/x/tags/list', `Bearer ${token}`);
    assert.equal(r.status, 401, why);
    assert.match(r.www!, /error="invalid_token"/, why);
    assert.equal(r.body.errors[0].code, 'UNAUTHORIZED', why);
  }
  // The same forgeries as refresh tokens.
  for (const [why, token] of forged) {
    const r = await postForm('/oauth2/token', { grant_type: 'refresh_token', service, refresh_token: token });
    assert.equal(r.status, 401, why);
  }
});

test('key rotation: the previous key keeps verifying its tokens, new tokens use the new key', async () => {
  const old = (await getToken(adminAuth(), ['repository:x:pull'])).body.access_token as string;
  const oldKid = decodeProtectedHeader(old).kid;
  const newKid = await server.services.identity.keys.rotate();
  assert.notEqual(newKid, oldKid);
  const fresh = (await getToken(adminAuth(), ['repository:x:pull'])).body.access_token as string;
  assert.equal(decodeProtectedHeader(fresh).kid, newKid);
  assert.notEqual((await v2('/v2/x/tags/list', `Bearer ${old}`)).status, 401);
  assert.notEqual((await v2('/v2/x/tags/list', `Bearer ${fresh}`)).status, 401);
  const jwks = (await (await fetch(`${server.url}/oauth2/jwks`)).json()) as { keys: JWK[] };
  assert.deepEqual(jwks.keys.map((k) => k.kid).sort(), [oldKid, newKid].sort());
  for (const k of jwks.keys) assert.equal((k as Json).d, undefined, 'never the private part');
});

test('POST /oauth2/exchange: trusted issuers with static keys', async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const pubJwk = { ...(await exportJWK(publicKey)), kid: 'ci-1', alg: 'ES256' };
  await server.services.store.trustedIssuers.put('ci', {
    issuer: 'https://ci.example',
    audience: 'lazaret-test',
    jwks: { keys: [pubJwk] },
    claim: 'sub',
    rules: [{ match: 'repo:org/app:*', roles: [{ role: 'AcrPush', repository: 'org/*' }] }],
  });
  const now = Math.floor(Date.now() / 1000);
  const mint = (claims: Record<string, unknown>, key: CryptoKey | Uint8Array = privateKey, alg = 'ES256') =>
    new SignJWT({ iss: 'https://ci.example', aud: 'lazaret-test', sub: 'repo:org/app:ref:refs/heads/main', iat: now, exp: now + 300, ...claims })
      .setProtectedHeader({ alg, kid: 'ci-1' })
      .sign(key);

  const ok = await postForm('/oauth2/exchange', { grant_type: 'access_token', service, access_token: await mint({}) });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  const rt = ok.body.refresh_token as string;
  assert.deepEqual(Object.keys(ok.body), ['refresh_token']);
  assert.ok(typeof decodeJwt(rt).exp === 'number', 'the Azure SDK requires exp');
  const at = await postForm('/oauth2/token', { grant_type: 'refresh_token', service, refresh_token: rt, scope: 'repository:org/app:pull,push repository:other/app:pull' });
  assert.equal(at.status, 200);
  assert.deepEqual(accessOf(at.body.access_token), [{ type: 'repository', name: 'org/app', actions: ['pull', 'push'] }]);
  assert.equal(decodeJwt(at.body.access_token).name, 'ci:repo:org/app:ref:refs/heads/main');

  const { privateKey: otherKey } = await generateKeyPair('ES256');
  const failures: [string, Record<string, string>][] = [
    ['unknown issuer', { grant_type: 'access_token', service, access_token: await mint({ iss: 'https://evil.example' }) }],
    ['bad signature', { grant_type: 'access_token', service, access_token: await mint({}, otherKey) }],
    ['expired', { grant_type: 'access_token', service, access_token: await mint({ iat: now - 900, exp: now - 300 }) }],
    ['wrong audience', { grant_type: 'access_token', service, access_token: await mint({ aud: 'someone-else' }) }],
    ['no matching rule', { grant_type: 'access_token', service, access_token: await mint({ sub: 'repo:evil/app:ref:x' }) }],
    ['HS256', { grant_type: 'access_token', service, access_token: await mint({}, new TextEncoder().encode(JSON.stringify(pubJwk)), 'HS256') }],
    ['alg none', { grant_type: 'access_token', service, access_token: `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: 'https://ci.example', aud: 'lazaret-test', sub: 'repo:org/app:x', exp: now + 300 })).toString('base64url')}.` }],
    ['not a JWT', { grant_type: 'access_token', service, access_token: 'hello' }],
  ];
  for (const [why, form] of failures) {
    const r = await postForm('/oauth2/exchange', form);
    assert.equal(r.status, 401, why);
    assert.equal(r.body.errors[0].code, 'UNAUTHORIZED', why);
  }
  assert.equal((await postForm('/oauth2/exchange', { grant_type: 'refresh_token', service, refresh_token: 'x' })).status, 400);
  assert.equal((await postForm('/oauth2/exchange', { grant_type: 'access_token', service })).status, 400);

  // Removing the issuer revokes its refresh tokens.
  await server.services.store.trustedIssuers.delete('ci');
  assert.equal((await postForm('/oauth2/token', { grant_type: 'refresh_token', service, refresh_token: rt, scope: 'repository:org/app:pull' })).status, 401);
});

test('brute force: an identity and an address are slowed down, others are not', async () => {
  const s = await startTokenServer();
  try {
    await createUser(s, 'victim', 'victim-password', [{ role: 'AcrPull' }]);
    await createUser(s, 'bystander', 'bystander-password', [{ role: 'AcrPull' }]);
    const get = (user: string, pw: string) =>
      fetch(`${s.url}/oauth2/token?service=${new URL(s.url).host}&scope=repository:x:pull`, { headers: { authorization: basicAuth(user, pw) } });
    for (let i = 0; i < 5; i++) assert.equal((await get('victim', 'guess' + i)).status, 401);
    // Both at once, right after the fifth failure: the first delay is 1 s.
    const [blocked, onV2] = await Promise.all([
      get('victim', 'victim-password'),
      // Basic auth on /v2 is throttled the same way.
      fetch(`${s.url}/v2/x/tags/list`, { headers: { authorization: basicAuth('victim', 'victim-password') } }),
    ]);
    assert.equal(blocked.status, 429, 'the right password does not help while throttled');
    assert.ok(Number(blocked.headers.get('retry-after')) >= 1);
    assert.equal(((await blocked.json()) as Json).errors[0].code, 'TOOMANYREQUESTS');
    assert.equal(onV2.status, 429);
    assert.equal((await get('bystander', 'bystander-password')).status, 200, 'another identity is unaffected');
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await get('victim', 'victim-password')).status, 200, 'after Retry-After the right password works');
  } finally {
    await s.close();
  }
});
