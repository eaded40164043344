/**
 * Anonymous pull ON must not break authenticated clients: GET /v2/ keeps challenging a bare
 * request (401 + Bearer), so skopeo and podman fetch a token and send their credentials;
 * anonymous clients get an anonymous token from /oauth2/token without any. With the
 * quarantine policy on as well, for each of skopeo and podman: a wrong-password login is
 * refused, an AcrPush user pushes, an AcrQuarantineReader pulls the held image, anonymous
 * callers do not get it, and once it is Passed they pull it without credentials.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hasCommand, skipUnless } from './helpers/environment.ts';
import type { TestServer } from './helpers/server.ts';
import { createOciLayout, type LayoutImage } from './helpers/oci-layout.ts';
import { adminAuth, basicAuth, createUser, startTokenServer } from './helpers/identities.ts';

const run = promisify(execFile);
let server: TestServer;
let host: string;
let work: string;
let image: LayoutImage;

type Result = { ok: boolean; out: string };

async function tool(command: string, args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await run(command, args, {
      timeout: 180_000,
      env: { ...process.env, HOME: work, XDG_RUNTIME_DIR: work, REGISTRY_AUTH_FILE: join(work, `${command}-auth.json`) },
    });
    return { ok: true, out: stdout + stderr };
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return { ok: false, out: e.stderr || e.message };
  }
}
const skopeo = (...args: string[]) => tool('skopeo', ['--insecure-policy', ...args]);
// Its own storage under the test's directory: nothing of the machine's podman is touched.
const podman = (...args: string[]) => tool('podman', ['--root', join(work, 'podman-root'), '--runroot', join(work, 'podman-run'), '--storage-driver', 'vfs', ...args]);

async function api(method: string, path: string, body: unknown, authorization = adminAuth()) {
  const res = await fetch(`${server.url}${path}`, { method, headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${await res.text()}`);
}

/** Passes the manifest as a scanner does (ACR's /acr/v1 PATCH). */
async function release(repository: string, digest: string) {
  await api('PATCH', `/acr/v1/${repository}/_manifests/${digest}`, { quarantineState: 'Passed', quarantineDetails: '{"state":"scan passed"}' }, basicAuth('scanner', 'scanner-password'));
}

describe('anonymous pull on: authenticated and anonymous clients', { skip: skipUnless(hasCommand('skopeo'), 'skopeo is not installed') }, () => {
  before(async () => {
    server = await startTokenServer();
    host = server.url.replace(/^https?:\/\//, '');
    // Lowercase: podman names an oci: source after its path, and image names are lowercase.
    work = join(tmpdir(), `lazaret-anon-clients-${randomBytes(6).toString('hex')}`);
    mkdirSync(work, { mode: 0o700 });
    // podman insists that an auth file it is pointed at exists.
    for (const command of ['skopeo', 'podman']) writeFileSync(join(work, `${command}-auth.json`), '{}');
    const layout = await createOciLayout(join(work, 'src'));
    image = await layout.addImage({ layerSizes: [], files: { 'hello.txt': 'hello from lazaret\n' } });
    await layout.writeIndex({ img: image.manifest });
    await createUser(server, 'pusher', 'pusher-password', [{ role: 'AcrPush' }]);
    await createUser(server, 'qreader', 'qreader-password', [{ role: 'AcrQuarantineReader' }]);
    await createUser(server, 'scanner', 'scanner-password', [{ role: 'AcrQuarantineWriter' }]);
    await api('PUT', '/api/v1/anonymous-pull', { enabled: true });
    await api('PATCH', '/api/v1/policies', { quarantinePolicy: { status: 'enabled' } });
  });
  after(async () => {
    await server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('GET /v2/ without credentials is a Bearer challenge; the anonymous token is handed out without credentials', async () => {
    const ping = await fetch(`${server.url}/v2/`);
    assert.equal(ping.status, 401);
    assert.match(String(ping.headers.get('www-authenticate')), /^Bearer realm="[^"]+\/oauth2\/token",service="/);
    const token = await fetch(`${server.url}/oauth2/token?service=${host}&scope=repository:anon/app:pull`);
    assert.equal(token.status, 200);
    const { access_token } = (await token.json()) as { access_token: string };
    assert.equal((await fetch(`${server.url}/v2/`, { headers: { authorization: `Bearer ${access_token}` } })).status, 200);
  });

  test('skopeo: wrong password refused; AcrPush pushes; the quarantine reader pulls held content; anonymous pulls only once released', async () => {
    const bad = await skopeo('login', '--tls-verify=false', '-u', 'pusher', '-p', 'wrong-password', host);
    assert.equal(bad.ok, false, `a wrong password must not log in: ${bad.out}`);
    assert.match(bad.out, /401|unauthorized|invalid username/i);

    const pushed = await skopeo('copy', '--quiet', '--dest-tls-verify=false', '--dest-creds', 'pusher:pusher-password', `oci:${join(work, 'src')}:img`, `docker://${host}/anon/skopeo:1`);
    assert.equal(pushed.ok, true, pushed.out);

    const held = await skopeo('copy', '--quiet', '--src-tls-verify=false', '--src-creds', 'qreader:qreader-password', `docker://${host}/anon/skopeo:1`, `oci:${join(work, 'out-held')}:img`);
    assert.equal(held.ok, true, `the quarantine reader must get held content: ${held.out}`);

    const anonHeld = await skopeo('inspect', '--raw', '--tls-verify=false', '--no-creds', `docker://${host}/anon/skopeo:1`);
    assert.equal(anonHeld.ok, false);
    assert.match(anonHeld.out, /manifest unknown/i);

    await release('anon/skopeo', image.manifest.digest);
    const anon = await skopeo('copy', '--quiet', '--src-tls-verify=false', '--src-no-creds', `docker://${host}/anon/skopeo:1`, `oci:${join(work, 'out-anon')}:img`);
    assert.equal(anon.ok, true, anon.out);
  });

  test('podman: wrong password refused; AcrPush pushes; the quarantine reader pulls held content; anonymous pulls only once released', { skip: skipUnless(hasCommand('podman'), 'podman is not installed') }, async () => {
    const bad = await podman('login', '--tls-verify=false', '-u', 'pusher', '-p', 'wrong-password', host);
    assert.equal(bad.ok, false, `a wrong password must not log in: ${bad.out}`);
    assert.match(bad.out, /401|unauthorized|invalid username/i);

    // Load the image into podman's own storage from the layout, then push it with credentials.
    const loaded = await podman('pull', '--quiet', `oci:${join(work, 'src')}:img`);
    assert.equal(loaded.ok, true, loaded.out);
    const imageId = loaded.out.trim().split('\n').pop()!;
    const pushed = await podman('push', '--quiet', '--tls-verify=false', '--creds', 'pusher:pusher-password', imageId, `docker://${host}/anon/podman:1`);
    assert.equal(pushed.ok, true, pushed.out);
    const pushedDigest = (await fetch(`${server.url}/v2/anon/podman/manifests/1`, { method: 'HEAD', headers: { authorization: basicAuth('qreader', 'qreader-password'), accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } })).headers.get('docker-content-digest');
    assert.ok(pushedDigest, 'the push reached the registry');

    const held = await podman('pull', '--quiet', '--tls-verify=false', '--creds', 'qreader:qreader-password', `${host}/anon/podman:1`);
    assert.equal(held.ok, true, `the quarantine reader must get held content: ${held.out}`);
    await podman('rmi', '--force', `${host}/anon/podman:1`);

    const anonHeld = await podman('pull', '--quiet', '--tls-verify=false', `${host}/anon/podman:1`);
    assert.equal(anonHeld.ok, false);
    assert.match(anonHeld.out, /manifest unknown/i);

    await release('anon/podman', pushedDigest);
    const anon = await podman('pull', '--quiet', '--tls-verify=false', `${host}/anon/podman:1`);
    assert.equal(anon.ok, true, anon.out);
  });
});
