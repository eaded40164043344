/**
 * The real @azure/container-registry SDK, unchanged, against Lazaret over HTTPS with a
 * self-signed certificate made by this test, authenticated by a federated credential: a
 * TokenCredential that hands the SDK a JWT signed by a tiny local JWKS issuer that Lazaret
 * trusts (what AAD is to ACR). Also anonymous mode.
 *
 * TLS: the SDK refuses non-https URLs. Instead of switching verification off
 * (NODE_TLS_REJECT_UNAUTHORIZED=0), the test trusts its own certificate: the SDK gets it as
 * `tlsOptions.ca`, and undici (the fixtures' HTTP client) through a global dispatcher.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent, setGlobalDispatcher, getGlobalDispatcher, type Dispatcher } from 'undici';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { ContainerRegistryClient, type ContainerRegistryClientOptions } from '@azure/container-registry';
import type { TokenCredential } from '@azure/core-auth';
import type { TestServer } from './helpers/server.ts';
import { hasCommand, skipUnless } from './helpers/environment.ts';
import { adminAuth, startTokenServer } from './helpers/identities.ts';
import { call, pushImage, type PushedImage } from './helpers/quarantine-fixtures.ts';
import { ANONYMOUS_PULL_SETTING } from '../src/auth/identities.ts';

const run = promisify(execFile);
const AUDIENCE = 'https://containerregistry.azure.net';
const ISSUER = 'https://idp.lazaret.test';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('@azure/container-registry over HTTPS with a federated credential', { skip: skipUnless(hasCommand('openssl'), 'openssl is not installed') }, () => {
  let dir: string;
  let s: TestServer;
  let jwks: Server;
  let ca: string;
  let previousDispatcher: Dispatcher;
  let mint: (sub: string) => Promise<string>;
  let held: PushedImage;
  let passed: PushedImage;
  let onlyHeld: PushedImage;

  const credential = (sub: string, calls?: string[]): TokenCredential => ({
    async getToken(scopes) {
      calls?.push(String(scopes));
      return { token: await mint(sub), expiresOnTimestamp: Date.now() + 300_000 };
    },
  });
  const options = (): ContainerRegistryClientOptions & { tlsOptions: { ca: string } } => ({ audience: AUDIENCE, tlsOptions: { ca } });
  const client = (sub: string, calls?: string[]) => new ContainerRegistryClient(s.url, credential(sub, calls), options());

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lazaret-sdk-'));
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
    ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
    previousDispatcher = getGlobalDispatcher();
    setGlobalDispatcher(new Agent({ connect: { ca } }));

    // The federated issuer: an ES256 key whose JWKS a tiny local HTTP server publishes.
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const publicJwk = { ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'ES256', use: 'sig' };
    jwks = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(req.url === '/jwks' ? JSON.stringify({ keys: [publicJwk] }) : '{}');
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    const jwksPort = (jwks.address() as { port: number }).port;
    mint = (sub) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub, iat: now, exp: now + 600 }).setProtectedHeader({ alg: 'ES256', kid: 'idp-1' }).sign(privateKey);
    };

    s = await startTokenServer({ tls: { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') } });
    assert.match(s.url, /^https:\/\//);
    await s.services.store.trustedIssuers.put('idp', {
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: `http://127.0.0.1:${jwksPort}/jwks`,
      claim: 'sub',
      rules: [
        { match: 'scanner-*', roles: [{ role: 'Contributor' }, { role: 'AcrQuarantineWriter' }] },
        { match: 'app-reader', roles: [{ role: 'AcrPull' }] },
      ],
    });

    const admin = { authorization: adminAuth() };
    assert.equal((await call(s.url, 'PATCH', '/api/v1/policies', { headers: admin, body: { quarantinePolicy: { status: 'enabled' } } })).status, 200);
    held = await pushImage(s.url, 'sdk/app', { seed: 'sdk-held', tag: 'held', headers: admin });
    passed = await pushImage(s.url, 'sdk/app', { seed: 'sdk-passed', tag: 'passed', headers: admin });
    await call(s.url, 'PUT', `/v2/sdk/app/manifests/passed-too`, { headers: { ...admin, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: passed.manifest });
    onlyHeld = await pushImage(s.url, 'sdk/only-held', { seed: 'sdk-only-held', tag: 'v1', headers: admin });
    await s.services.store.verdicts.set({ repository: 'sdk/app', digest: passed.digest as never, state: 'Passed', details: '{"state":"Scan Passed"}', updatedBy: 'setup' });
  });

  after(async () => {
    await s?.close();
    await new Promise((r) => jwks?.close(r));
    setGlobalDispatcher(previousDispatcher);
    rmSync(dir, { recursive: true, force: true });
  });

  test('listRepositoryNames: only repositories with released content, paged by Link', async () => {
    const calls: string[] = [];
    // The SDK's catalog token is `registry:catalog:*`: it names no repository, so it carries
    // the holder's quarantine-read patterns, and a quarantine writer sees a repository holding
    // nothing but held content while a reader without quarantine read does not.
    assert.deepEqual(await collect(client('scanner-1', calls).listRepositoryNames()), ['sdk/app', 'sdk/only-held']);
    assert.deepEqual(calls, [`${AUDIENCE}/.default`], 'the SDK asked its credential for the ACR audience');
    assert.deepEqual(await collect(client('app-reader').listRepositoryNames()), ['sdk/app']);
    await s.services.store.repositories.ensure('sdk/zzz-empty');
    await s.services.store.verdicts.set({ repository: 'sdk/only-held', digest: onlyHeld.digest as never, state: 'Passed', updatedBy: 'setup' });
    const pages = [];
    for await (const page of client('app-reader').listRepositoryNames().byPage({ maxPageSize: 1 })) pages.push([...page]);
    assert.deepEqual(pages, [['sdk/app'], ['sdk/only-held']]);
    await s.services.store.verdicts.set({ repository: 'sdk/only-held', digest: onlyHeld.digest as never, state: 'Quarantined', updatedBy: 'setup' });
    assert.deepEqual(await collect(client('app-reader').listRepositoryNames()), ['sdk/app']);
  });

  test('listTagProperties: held tags are listed for the quarantine writer, left out for the puller', async () => {
    const writer = await collect(client('scanner-1').getArtifact('sdk/app', passed.digest).listTagProperties());
    assert.deepEqual(writer.map((t) => [t.name, t.digest]).sort(), [['held', held.digest], ['passed', passed.digest], ['passed-too', passed.digest]]);
    assert.ok(writer.every((t) => t.repositoryName === 'sdk/app' && t.createdOn instanceof Date));
    const reader = await collect(client('app-reader').getArtifact('sdk/app', passed.digest).listTagProperties({ order: 'LastUpdatedOnDescending' }));
    assert.deepEqual(reader.map((t) => t.name), ['passed-too', 'passed']);
  });

  test('getManifestProperties by tag and by digest; a held manifest is refused to the puller', async () => {
    const props = await client('scanner-1').getArtifact('sdk/app', 'held').getManifestProperties();
    assert.equal(props.digest, held.digest);
    assert.equal(props.repositoryName, 'sdk/app');
    assert.equal(props.architecture, 'amd64');
    assert.equal(props.operatingSystem, 'linux');
    assert.deepEqual(props.tags, ['held']);
    assert.ok(props.createdOn instanceof Date && !Number.isNaN(props.createdOn.getTime()));
    const ok = await client('app-reader').getArtifact('sdk/app', passed.digest).getManifestProperties();
    assert.deepEqual([...ok.tags].sort(), ['passed', 'passed-too']);
    await assert.rejects(client('app-reader').getArtifact('sdk/app', held.digest).getManifestProperties(), (err: { statusCode?: number; message: string }) => {
      assert.equal(err.statusCode, 403);
      assert.match(err.message, /The operation is disallowed\./);
      return true;
    });
  });

  test('updateManifestProperties changes the attributes and leaves the verdict as it was', async () => {
    const updated = await client('scanner-1').getArtifact('sdk/app', 'held').updateManifestProperties({ canWrite: false, canDelete: false });
    assert.equal(updated.canWrite, false);
    assert.equal(updated.canDelete, false);
    assert.equal(updated.canRead, true);
    const raw = await call(s.url, 'GET', `/acr/v1/sdk/app/_manifests/${held.digest}`, { headers: { authorization: adminAuth() } });
    assert.equal(raw.status, 403, 'the owner does not bypass the gate');
    const v = await s.services.store.verdicts.get('sdk/app', held.digest as never);
    assert.equal(v?.state, 'Quarantined');
    // The puller has no metadata_write: refused.
    await assert.rejects(client('app-reader').getArtifact('sdk/app', passed.digest).updateManifestProperties({ canList: false }), (err: { statusCode?: number }) => err.statusCode === 401 || err.statusCode === 403);
  });

  test('deleteTag removes the tag, not the manifest', async () => {
    await client('scanner-1').getArtifact('sdk/app', passed.digest).deleteTag('passed-too');
    const left = await collect(client('scanner-1').getArtifact('sdk/app', passed.digest).listTagProperties());
    assert.deepEqual(left.map((t) => t.name).sort(), ['held', 'passed']);
    assert.ok(await s.services.store.manifests.get('sdk/app', passed.digest as never), 'the manifest stays');
    // ACR answers 404 for a missing tag; the SDK treats that as "already deleted".
    await client('scanner-1').getArtifact('sdk/app', passed.digest).deleteTag('passed-too');
    const again = await call(s.url, 'DELETE', '/acr/v1/sdk%2Fapp/_tags/passed-too', { headers: { authorization: adminAuth() } });
    assert.equal(again.status, 404);
  });

  test('anonymous mode: released manifests by digest; held ones refused; nothing needing more than pull', async () => {
    await s.services.store.settings.set(ANONYMOUS_PULL_SETTING, true);
    s.services.identity.resolver.forgetSettings();
    const anon = new ContainerRegistryClient(s.url, options());
    const props = await anon.getArtifact('sdk/app', passed.digest).getManifestProperties();
    assert.equal(props.digest, passed.digest);
    await assert.rejects(anon.getArtifact('sdk/only-held', onlyHeld.digest).getManifestProperties(), (err: { statusCode?: number }) => err.statusCode === 403);
    await assert.rejects(collect(anon.listRepositoryNames()), (err: { statusCode?: number }) => err.statusCode === 401);
  });

  test('the SDK refuses plain http, as documented', async () => {
    const plain = new ContainerRegistryClient(s.url.replace('https:', 'http:'), options());
    await assert.rejects(plain.getArtifact('sdk/app', passed.digest).getManifestProperties(), /non-TLS|https/i);
  });
});
