/**
 * Issue 10 item 8: a blob becomes readable to pullers only through descriptors whose digest and
 * size the registry verified against what it stores. A pusher listing a held layer as a foreign
 * (non-distributable, `urls`) descriptor, or with a wrong size, in a manifest that then passes,
 * must not release the layer. The control (a verified descriptor) shows the test can fail.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from './helpers/server.ts';
import { accessToken, adminAuth, createUser, startTokenServer } from './helpers/identities.ts';
import { call, putManifest, pushImage, sha256, uploadBlob, type PushedImage } from './helpers/quarantine-fixtures.ts';

let s: TestServer;
let held: PushedImage;
let pull: Record<string, string>;
const h = () => ({ authorization: adminAuth() });

before(async () => {
  s = await startTokenServer();
  await createUser(s, 'fd-puller', 'fd-password-1', [{ role: 'AcrPull' }]);
  assert.equal((await call(s.url, 'PATCH', '/api/v1/policies', { headers: h(), body: { quarantinePolicy: { status: 'enabled' } } })).status, 200);
  held = await pushImage(s.url, 'fd/app', { seed: 'fd-held', tag: 'held', headers: h() });
  pull = { authorization: `Bearer ${await accessToken(s, 'fd-puller', 'fd-password-1', 'repository:fd/app:pull')}` };
});
after(() => s.close());

/** Pushes a manifest whose only layer descriptor is `layer`, and passes it (as a scanner would). */
async function passedManifestWith(label: string, layer: Record<string, unknown>) {
  const configBody = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, label });
  const config = await uploadBlob(s.url, 'fd/app', configBody, h());
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: Buffer.byteLength(configBody) },
    layers: [layer],
  });
  const digest = await putManifest(s.url, 'fd/app', sha256(body), body, 'application/vnd.oci.image.manifest.v1+json', h());
  await s.services.store.verdicts.set({ repository: 'fd/app', digest: digest as never, state: 'Passed', updatedBy: 'fd-scanner' });
}

const layerGet = async () => (await call(s.url, 'GET', `/v2/fd/app/blobs/${held.layers[0]}`, { headers: pull })).status;
const size = Buffer.byteLength('layer of fd-held');

test('a foreign descriptor with urls and a wrong size in a passed manifest does not release a held layer', async () => {
  assert.equal(await layerGet(), 403, 'held before');
  await passedManifestWith('foreign', { mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar', digest: held.layers[0], size: 1, urls: ['https://example.invalid/layer'] });
  assert.equal(await layerGet(), 403);
  await passedManifestWith('foreign-right-size', { mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', digest: held.layers[0], size });
  assert.equal(await layerGet(), 403);
});

test('a distributable descriptor whose size disagrees with the stored blob does not release it either', async () => {
  await passedManifestWith('wrong-size', { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: held.layers[0], size: size + 7 });
  assert.equal(await layerGet(), 403);
});

test('control: a verified descriptor in a passed manifest releases the layer', async () => {
  await passedManifestWith('verified', { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: held.layers[0], size });
  assert.equal(await layerGet(), 200);
});
