/**
 * End to end with a real client: skopeo pushes OCI layouts built here (a single-arch image with
 * layers from a few bytes to tens of MiB, and a two-platform index) to a real server, copies
 * them back, and the bytes must be identical; then inspect by tag and digest, list tags, delete.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCommand, skipUnless } from './helpers/environment.ts';
import { skopeoIn } from './helpers/skopeo.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { createOciLayout, readLayoutBlob, type LayoutDescriptor, type LayoutImage } from './helpers/oci-layout.ts';
import { createRegistryClient, type RegistryClient } from './helpers/registry-client.ts';

const MiB = 1024 * 1024;

let server: TestServer;
let client: RegistryClient;
let host: string;
let work: string;
let src: string;
let single: LayoutImage;
let amd: LayoutImage;
let arm: LayoutImage;
let index: LayoutDescriptor;

// Own HOME: skopeo's blob-info cache and auth files stay inside this test.
const skopeo = skopeoIn(() => work, { authFile: true });

const push = (from: string, to: string, ...flags: string[]) =>
  skopeo('copy', '--quiet', '--preserve-digests', '--dest-tls-verify=false', '--dest-no-creds', ...flags, from, `docker://${host}/${to}`);
const pull = (from: string, to: string, ...flags: string[]) =>
  skopeo('copy', '--quiet', '--preserve-digests', '--src-tls-verify=false', '--src-no-creds', ...flags, `docker://${host}/${from}`, to);
const inspect = (ref: string, ...flags: string[]) => skopeo('inspect', '--tls-verify=false', '--no-creds', ...flags, `docker://${host}/${ref}`);

async function assertSameBlobs(out: string, image: LayoutImage) {
  for (const d of [image.manifest, image.config, ...image.layers]) {
    const [a, b] = await Promise.all([readLayoutBlob(src, d.digest), readLayoutBlob(out, d.digest)]);
    assert.equal(b.length, d.size, `${d.digest} size`);
    assert.ok(a.equals(b), `${d.digest} differs after the round trip`);
  }
}

describe('skopeo end to end', { skip: skipUnless(hasCommand('skopeo'), 'skopeo is not installed') }, () => {
  before(async () => {
    server = await startTestServer({ 'auth.mode': 'none' });
    client = createRegistryClient(server.url);
    host = server.url.replace(/^https?:\/\//, '');
    work = mkdtempSync(join(tmpdir(), 'lazaret-skopeo-'));
    src = join(work, 'src');
    const layout = await createOciLayout(src);
    single = await layout.addImage({ layerSizes: [5, 300 * 1024, 24 * MiB], architecture: 'amd64' });
    amd = await layout.addImage({ layerSizes: [3, 2 * MiB], architecture: 'amd64' });
    arm = await layout.addImage({ layerSizes: [7, 1 * MiB], architecture: 'arm64' });
    index = await layout.addIndex([amd, arm]);
    await layout.writeIndex({ single: single.manifest, multi: index });
  });
  after(async () => {
    await client?.close();
    await server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('pushes a single-arch image and copies it back byte for byte', async () => {
    await push(`oci:${src}:single`, 'e2e/team/app:v1');
    const out = join(work, 'out-single');
    await pull('e2e/team/app:v1', `oci:${out}:v1`);
    await assertSameBlobs(out, single);
  });

  test('pushes the same image to a second repository (skopeo may mount its blobs)', async () => {
    await push(`oci:${src}:single`, 'e2e/second:v1');
    const res = await client.req('HEAD', `/v2/e2e/second/blobs/${single.layers[2]!.digest}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-length'], String(single.layers[2]!.size));
  });

  test('pushes a multi-arch index with --all and copies every platform back', async () => {
    await push(`oci:${src}:multi`, 'e2e/multi:v1', '--all');
    const out = join(work, 'out-multi');
    await pull('e2e/multi:v1', `oci:${out}:v1`, '--all');
    assert.ok((await readLayoutBlob(out, index.digest)).equals(await readLayoutBlob(src, index.digest)));
    await assertSameBlobs(out, amd);
    await assertSameBlobs(out, arm);
  });

  test('pushes a docker-archive (Docker v2 schema 2) and pulls it back', async () => {
    const archive = join(work, 'app.tar');
    await skopeo('copy', '--quiet', `oci:${src}:single`, `docker-archive:${archive}:e2e/archive:v1`);
    await skopeo('copy', '--quiet', '--dest-tls-verify=false', '--dest-no-creds', `docker-archive:${archive}`, `docker://${host}/e2e/archive:v1`);
    const res = await client.req('GET', '/v2/e2e/archive/manifests/v1', { headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
    assert.equal(res.status, 200, res.text());
    assert.equal(res.headers['content-type'], 'application/vnd.docker.distribution.manifest.v2+json');
    const info = JSON.parse(await inspect('e2e/archive:v1'));
    assert.equal(info.Architecture, 'amd64');
    assert.equal(info.Layers.length, single.layers.length);
    // Back out to a docker-archive: the layer contents survive the round trip.
    const back = join(work, 'back.tar');
    await pull('e2e/archive:v1', `docker-archive:${back}:e2e/archive:v1`);
    const manifest = JSON.parse(await inspect('e2e/archive:v1', '--raw'));
    assert.equal(manifest.layers.length, single.layers.length);
  });

  test('inspects by tag and by digest', async () => {
    const raw = await inspect('e2e/team/app:v1', '--raw');
    assert.equal(raw, (await readLayoutBlob(src, single.manifest.digest)).toString('utf8'));
    const info = JSON.parse(await inspect(`e2e/team/app@${single.manifest.digest}`));
    assert.equal(info.Digest, single.manifest.digest);
    assert.equal(info.Architecture, 'amd64');
    assert.deepEqual(info.Layers, single.layers.map((l) => l.digest));
    const rawIndex = await inspect(`e2e/multi@${index.digest}`, '--raw');
    assert.equal(rawIndex, (await readLayoutBlob(src, index.digest)).toString('utf8'));
    const armInfo = JSON.parse(await inspect(`e2e/multi@${arm.manifest.digest}`));
    assert.equal(armInfo.Architecture, 'arm64');
  });

  test('lists tags', async () => {
    await push(`oci:${src}:single`, 'e2e/team/app:v2');
    const tags = JSON.parse(await skopeo('list-tags', '--tls-verify=false', '--no-creds', `docker://${host}/e2e/team/app`));
    assert.deepEqual(tags.Tags, ['v1', 'v2']);
  });

  test('deletes, after which the image is gone', async () => {
    await skopeo('delete', '--tls-verify=false', '--no-creds', `docker://${host}/e2e/multi:v1`);
    await assert.rejects(inspect('e2e/multi:v1', '--raw'), /manifest unknown|not found/i);
    assert.equal((await client.req('GET', `/v2/e2e/multi/manifests/${index.digest}`)).status, 404);
    // The child manifests stay (only the index was deleted), as with any registry.
    assert.equal((await client.req('HEAD', `/v2/e2e/multi/manifests/${amd.manifest.digest}`)).status, 200);
  });
});
