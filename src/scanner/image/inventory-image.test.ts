import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { accessToken, ADMIN_PASSWORD, ADMIN_USER, adminAuth, startTokenServer } from '../../../test/helpers/identities.ts';
import { createRegistryClient, type RegistryClient } from '../../../test/helpers/registry-client.ts';
import { alpineImage, appImage, debianImage, pushScanImage, type ScanImage } from '../../../test/helpers/scan-images.ts';
import { hasCommand, skipUnless } from '../../../test/helpers/environment.ts';
import type { TestServer } from '../../../test/helpers/server.ts';
import type { Inventory } from '../types.ts';
import { DEFAULT_SCAN_LIMITS } from './limits.ts';
import { inventoryImage } from './inventory-image.ts';

const carried = (inv: Inventory) => inv.packages.map((p) => `${p.ecosystem}:${p.name}@${p.version}${p.sourceName && p.sourceName !== p.name ? ` (${p.sourceName})` : ''}`).sort();
const expected = (image: ScanImage) => image.packages.map((p) => `${p.ecosystem}:${p.name}@${p.version}${p.sourceName && p.sourceName !== p.name ? ` (${p.sourceName})` : ''}`).sort();

describe('inventoryImage against a real registry (token auth)', () => {
  let server: TestServer;
  let client: RegistryClient;
  before(async () => {
    server = await startTokenServer();
    client = createRegistryClient(server.url, { authorization: adminAuth() });
  });
  after(async () => {
    await client.close();
    await server.close();
  });

  test('Debian: dpkg packages with their source, the OS through the os-release symlink, the layer that introduced each', async () => {
    const image = await debianImage();
    const digest = await pushScanImage(client, 'team/debian', '12', image);
    assert.equal(digest, image.digest);
    const result = await inventoryImage({ url: server.url, repository: 'team/debian', authorization: adminAuth() }, digest, DEFAULT_SCAN_LIMITS);
    assert.deepEqual(result.inventory.os, { id: 'debian', versionId: '12', codename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' });
    assert.deepEqual(carried(result.inventory), expected(image));
    const byName = new Map(result.inventory.packages.map((p) => [p.name, p]));
    assert.equal(byName.get('zlib1g')!.layerDigest, image.layers[0].digest, 'base package stays attributed to the base layer');
    assert.equal(byName.get('openssl')!.layerDigest, image.layers[1].digest);
    assert.equal(byName.get('libssl3')!.purl, 'pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&distro=debian-12');
    assert.equal(byName.get('libssl3')!.path, 'var/lib/dpkg/status');
    assert.equal(byName.has('oldpkg'), false, 'a removed package (config-files) is not installed');
    assert.deepEqual(result.layers.map((l) => l.diffId), image.layers.map((l) => l.diffId));
  });

  test('Alpine through a Bearer pull token; an npm/Python image; a Docker v2 manifest', async () => {
    const alpine = await alpineImage();
    await pushScanImage(client, 'team/alpine', '3.19', alpine);
    const token = await accessToken(server, ADMIN_USER, ADMIN_PASSWORD, 'repository:team/alpine:pull');
    const a = await inventoryImage({ url: server.url, repository: 'team/alpine', authorization: `Bearer ${token}` }, alpine.digest, DEFAULT_SCAN_LIMITS);
    assert.deepEqual(carried(a.inventory), expected(alpine));
    assert.equal(a.inventory.packages.find((p) => p.name === 'libcrypto3')!.purl, 'pkg:apk/alpine/libcrypto3@3.1.4-r1?arch=x86_64&distro=3.19.1');

    const app = await appImage();
    await pushScanImage(client, 'team/app', '1', app);
    const b = await inventoryImage({ url: server.url, repository: 'team/app', authorization: adminAuth() }, app.digest, DEFAULT_SCAN_LIMITS);
    assert.equal(b.inventory.os, undefined);
    assert.deepEqual(carried(b.inventory), expected(app));
    assert.equal(b.inventory.packages.find((p) => p.name === 'requests')!.purl, 'pkg:pypi/requests@2.25.0');

    const docker = await debianImage({ docker: true });
    await pushScanImage(client, 'team/docker', '1', docker);
    const c = await inventoryImage({ url: server.url, repository: 'team/docker', authorization: adminAuth() }, docker.digest, DEFAULT_SCAN_LIMITS);
    assert.deepEqual(carried(c.inventory), expected(docker));
  });

  test('zstd layers', { skip: skipUnless(hasCommand('zstd'), 'zstd not installed') }, async () => {
    const image = await debianImage({ compression: 'zstd' });
    await pushScanImage(client, 'team/zstd', '1', image);
    const r = await inventoryImage({ url: server.url, repository: 'team/zstd', authorization: adminAuth() }, image.digest, DEFAULT_SCAN_LIMITS);
    assert.deepEqual(carried(r.inventory), expected(image));
  });

  test('a wrong password and a repository the credential cannot read are REGISTRY_UNAUTHORIZED', async () => {
    const image = await alpineImage();
    await pushScanImage(client, 'team/secret', '1', image);
    const wrong = `Basic ${Buffer.from(`${ADMIN_USER}:nope-nope`).toString('base64')}`;
    await assert.rejects(inventoryImage({ url: server.url, repository: 'team/secret', authorization: wrong }, image.digest, DEFAULT_SCAN_LIMITS), /REGISTRY_UNAUTHORIZED/);
    const token = await accessToken(server, ADMIN_USER, ADMIN_PASSWORD, 'repository:team/alpine:pull');
    await assert.rejects(inventoryImage({ url: server.url, repository: 'team/secret', authorization: `Bearer ${token}` }, image.digest, DEFAULT_SCAN_LIMITS), /REGISTRY_UNAUTHORIZED/);
  });
});
