/**
 * The Azure SDK's exact authentication flow (ACR's API reference section 7), played step by step
 * over HTTPS with a certificate made by this test, against a federated issuer served by a tiny
 * local JWKS server:
 *   1. an unauthenticated request -> 401 with a challenge the SDK's regex can parse;
 *   2. POST /oauth2/exchange grant_type=access_token&service=&access_token=<OIDC JWT>
 *      -> {"refresh_token"} (a JWT WITH exp, which the SDK insists on);
 *   3. POST /oauth2/token grant_type=refresh_token&service=&refresh_token=&scope=<challenge scope>
 *      -> {"access_token"};
 *   4. the same request again with `Authorization: Bearer <access_token>`.
 * (test/acr-azure-sdk.test.ts runs the real SDK through the same flow.)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { hasCommand, skipUnless } from './helpers/environment.ts';
import { adminAuth, startTokenServer } from './helpers/identities.ts';
import type { TestServer } from './helpers/server.ts';

const run = promisify(execFile);
const AUDIENCE = 'https://containerregistry.azure.net';
const ISSUER = 'https://oidc.lazaret.test';

describe('the Azure SDK token flow over HTTPS', { skip: skipUnless(hasCommand('openssl'), 'openssl is not installed') }, () => {
  let dir: string;
  let server: TestServer;
  let oidc: Server;
  let agent: Agent;
  let mint: (claims?: Record<string, unknown>) => Promise<string>;

  const call = async (method: string, url: string, headers: Record<string, string> = {}, body?: string) => {
    const res = await request(url, { method: method as 'GET', headers, body, dispatcher: agent });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
  /** A form POST, as the SDK sends to /oauth2/exchange and /oauth2/token. */
  const postForm = (path: string, fields: Record<string, string>) =>
    call('POST', `${server.url}${path}`, { 'content-type': 'application/x-www-form-urlencoded' }, new URLSearchParams(fields).toString());

  /** The SDK's challenge parser: `(\w+?)="(.*?)"`, and it throws without service and scope. */
  const parseChallenge = (header: string) => {
    const out: Record<string, string> = {};
    for (const m of header.matchAll(/(\w+?)="(.*?)"/g)) out[m[1]!] = m[2]!;
    assert.ok(out.service && out.scope, `challenge lacks service or scope: ${header}`);
    return out;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lazaret-azure-flow-'));
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
    agent = new Agent({ connect: { ca: readFileSync(join(dir, 'cert.pem'), 'utf8') } });

    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'oidc-1', alg: 'RS256', use: 'sig' };
    oidc = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(req.url === '/.well-known/jwks.json' ? JSON.stringify({ keys: [jwk] }) : '{}');
    });
    await new Promise<void>((r) => oidc.listen(0, '127.0.0.1', r));
    const port = (oidc.address() as { port: number }).port;
    mint = (claims = {}) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'pipeline:org/app', iat: now, exp: now + 600, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: 'oidc-1' })
        .sign(privateKey);
    };

    server = await startTokenServer({ tls: { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') } });
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const put = await call('PUT', `${server.url}/api/v1/trusted-issuers/oidc`, { authorization: adminAuth(), 'content-type': 'application/json' }, JSON.stringify({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      rules: [{ match: 'pipeline:org/*', roles: [{ role: 'Reader' }] }],
    }));
    assert.equal(put.status, 201, JSON.stringify(put.body));
  });

  after(async () => {
    await server?.close();
    await new Promise((r) => oidc?.close(r));
    await agent?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function sdkFlow(path: string, expectedScope: string) {
    // 1. unauthenticated first, as the SDK always does
    const first = await call('GET', `${server.url}${path}`);
    assert.equal(first.status, 401);
    const www = String(first.headers['www-authenticate']);
    const challenge = parseChallenge(www);
    assert.equal(challenge.realm, `${server.url}/oauth2/token`);
    assert.equal(challenge.scope, expectedScope);
    assert.equal(first.body.errors[0].code, 'UNAUTHORIZED');

    // 2. exchange the federated token for a refresh token (no tenant, as the SDK sends)
    const ex = await postForm('/oauth2/exchange', { grant_type: 'access_token', service: challenge.service!, access_token: await mint() });
    assert.equal(ex.status, 200, JSON.stringify(ex.body));
    const refresh = ex.body.refresh_token as string;
    const rclaims = decodeJwt(refresh);
    assert.equal(typeof rclaims.exp, 'number', 'Invalid JWT payload structure. No expiration.');
    assert.ok(rclaims.exp! > Date.now() / 1000);

    // 3. refresh token + the challenge's scope -> access token
    const tok = await postForm('/oauth2/token', { grant_type: 'refresh_token', service: challenge.service!, refresh_token: refresh, scope: challenge.scope! });
    assert.equal(tok.status, 200, JSON.stringify(tok.body));

    // 4. the retried request
    return call('GET', `${server.url}${path}`, { authorization: `Bearer ${tok.body.access_token}` });
  }

  test('catalog: registry:catalog:* challenge, then 200 with the bearer token', async () => {
    const r = await sdkFlow('/acr/v1/_catalog?n=10', 'registry:catalog:*');
    assert.equal(r.status, 200, JSON.stringify(r.body));
  });

  test('repository metadata: metadata_read challenge (the SDK percent-encodes the name), then past auth', async () => {
    const r = await sdkFlow('/acr/v1/org%2Fapp/_tags?n=10', 'repository:org/app:metadata_read');
    // The repository does not exist: the point is that the token got us past authorization.
    assert.equal(r.status, 404);
    assert.equal(r.body.errors[0].code, 'NAME_UNKNOWN');
  });

  test('a federated token the issuer did not sign, or for another audience, is refused at the exchange', async () => {
    const service = new URL(server.url).host;
    const { privateKey } = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'pipeline:org/app', iat: now, exp: now + 600 }).setProtectedHeader({ alg: 'RS256', kid: 'oidc-1' }).sign(privateKey);
    for (const token of [forged, await mint({ aud: 'api://other' }), await mint({ sub: 'pipeline:evil/app' })]) {
      const r = await postForm('/oauth2/exchange', { grant_type: 'access_token', service, access_token: token });
      assert.equal(r.status, 401);
      assert.equal(r.body.errors[0].code, 'UNAUTHORIZED');
    }
  });
});
