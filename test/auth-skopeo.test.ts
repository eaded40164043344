/**
 * Token auth with a real client: skopeo logs in (GET /v2/ challenge -> GET /oauth2/token with
 * Basic), pushes and pulls; an AcrPull user cannot push; a token scoped to `team-a/*` cannot
 * touch `team-b/x`; anonymous clients are refused while anonymous pull is off.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCommand, skipUnless } from './helpers/environment.ts';
import { skopeoResultIn } from './helpers/skopeo.ts';
import type { TestServer } from './helpers/server.ts';
import { createOciLayout, type LayoutImage } from './helpers/oci-layout.ts';
import { adminAuth, createUser, startTokenServer } from './helpers/identities.ts';

let server: TestServer;
let host: string;
let work: string;
let src: string;
let image: LayoutImage;
let tokenPassword: string;

const skopeo = skopeoResultIn(() => work, { authFile: true });
const push = (to: string, ...creds: string[]) => skopeo('copy', '--quiet', '--dest-tls-verify=false', ...creds, `oci:${src}:img`, `docker://${host}/${to}`);
const pull = (from: string, ...creds: string[]) => skopeo('copy', '--quiet', '--src-tls-verify=false', ...creds, `docker://${host}/${from}`, `oci:${join(work, 'out')}:img`);

describe('skopeo with token auth', { skip: skipUnless(hasCommand('skopeo'), 'skopeo is not installed') }, () => {
  before(async () => {
    server = await startTokenServer();
    host = server.url.replace(/^https?:\/\//, '');
    work = mkdtempSync(join(tmpdir(), 'lazaret-auth-skopeo-'));
    src = join(work, 'src');
    const layout = await createOciLayout(src);
    image = await layout.addImage({ layerSizes: [1024, 64 * 1024] });
    await layout.writeIndex({ img: image.manifest });
    await createUser(server, 'pusher', 'pusher-password', [{ role: 'AcrPush' }]);
    await createUser(server, 'puller', 'puller-password', [{ role: 'AcrPull' }]);
    const res = await fetch(`${server.url}/api/v1/scope-maps/team-a-rw`, {
      method: 'PUT',
      headers: { authorization: adminAuth(), 'content-type': 'application/json' },
      body: JSON.stringify({ actions: ['repositories/team-a/*/content/read', 'repositories/team-a/*/content/write'] }),
    });
    assert.equal(res.status, 201);
    const t = await fetch(`${server.url}/api/v1/tokens`, {
      method: 'POST',
      headers: { authorization: adminAuth(), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'team-a-ci', scopeMap: 'team-a-rw' }),
    });
    tokenPassword = ((await t.json()) as { credentials: { passwords: { value: string }[] } }).credentials.passwords[0]!.value;
  });
  after(async () => {
    await server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('skopeo login checks the password, then push and pull work with the stored login', async () => {
    const bad = await skopeo('login', '--tls-verify=false', '-u', 'pusher', '-p', 'wrong', host);
    assert.equal(bad.ok, false);
    assert.match(bad.out, /401|unauthorized|invalid username/i);
    const good = await skopeo('login', '--tls-verify=false', '-u', 'pusher', '-p', 'pusher-password', host);
    assert.equal(good.ok, true, good.out);
    const pushed = await push('team-a/app:1');
    assert.equal(pushed.ok, true, pushed.out);
    const pulled = await pull('team-a/app:1');
    assert.equal(pulled.ok, true, pulled.out);
    const pushedB = await push('team-b/x:1');
    assert.equal(pushedB.ok, true, pushedB.out);
    await skopeo('logout', host);
  });

  test('an AcrPull user pulls but cannot push', async () => {
    const pulled = await pull('team-a/app:1', '--src-creds', 'puller:puller-password');
    assert.equal(pulled.ok, true, pulled.out);
    const inspected = await skopeo('inspect', '--tls-verify=false', '--creds', 'puller:puller-password', `docker://${host}/team-a/app:1`);
    assert.equal(JSON.parse(inspected.out).Digest, image.manifest.digest);
    const pushed = await push('team-a/app:2', '--dest-creds', 'puller:puller-password');
    assert.equal(pushed.ok, false);
    assert.match(pushed.out, /denied|unauthorized|401|403/i);
    const tags = await fetch(`${server.url}/v2/team-a/app/tags/list`, { headers: { authorization: adminAuth() } });
    assert.deepEqual(((await tags.json()) as { tags: string[] }).tags, ['1'], 'nothing was pushed');
  });

  test('a token scoped to team-a/* cannot touch team-b/x', async () => {
    const creds = `team-a-ci:${tokenPassword}`;
    assert.equal((await push('team-a/other:1', '--dest-creds', creds)).ok, true);
    assert.equal((await pull('team-a/other:1', '--src-creds', creds)).ok, true);
    const pushB = await push('team-b/x:2', '--dest-creds', creds);
    assert.equal(pushB.ok, false);
    const pullB = await pull('team-b/x:1', '--src-creds', creds);
    assert.equal(pullB.ok, false);
    assert.match(pullB.out, /denied|unauthorized|401|403/i);
  });

  test('anonymous clients are refused while anonymous pull is off', async () => {
    const r = await pull('team-a/app:1', '--src-no-creds');
    assert.equal(r.ok, false);
    assert.match(r.out, /unauthorized|401|authentication required/i);
  });
});
