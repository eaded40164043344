/**
 * Hostile and broken layers: each one stops the scan with a clear ScanError (the server then
 * answers 500 and the registry keeps the image held). Nothing is ever extracted to disk, so the
 * path checks are about refusing the layer, not about where it would have been written.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import { dpkgStanza, goBinary, layerOf, rawLayer, tarOf, type ScanImageLayer } from '../../../test/helpers/scan-images.ts';
import { buildInventory } from '../inventory/build-inventory.ts';
import { ScanError } from '../scan-error.ts';
import { openLayerTar } from './decompress.ts';
import { ImageView } from './image-view.ts';
import { walkLayer } from './layer-walker.ts';
import { DEFAULT_SCAN_LIMITS, type ScanLimits } from './limits.ts';
import { parseImageManifest } from './manifest.ts';

/** Runs layers through the same decompress -> walk -> view path the scanner uses. */
async function inventoryOf(layers: ScanImageLayer[], limits: ScanLimits = DEFAULT_SCAN_LIMITS) {
  const view = new ImageView();
  for (const layer of layers) {
    const tar = openLayerTar(Readable.from(chunks(layer.data)), layer, limits);
    view.apply(await walkLayer(tar, layer.digest, { limits, lowerHas: (p) => view.has(p), budget: { bytes: limits.maxKeptBytes, entries: limits.maxKeptEntries } }));
  }
  return buildInventory(view);
}

function* chunks(data: Buffer, size = 64 * 1024) {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function rejectsWith(promise: Promise<unknown>, code: string, message: RegExp) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ScanError, `not a ScanError: ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    return true;
  });
}

const status = dpkgStanza({ name: 'openssl', version: '3.0.11-1~deb12u1' });

describe('bad layers fail the scan with a clear reason', () => {
  test('a malformed tar (garbage after a valid gzip header) is LAYER_MALFORMED', async () => {
    const garbage = Buffer.alloc(4096, 0x41);
    await rejectsWith(inventoryOf([rawLayer(garbage, 'gzip')]), 'LAYER_MALFORMED', /layer sha256:/);
  });

  test('a truncated gzip stream is LAYER_MALFORMED', async () => {
    const good = await layerOf([{ path: 'var/lib/dpkg/status', content: status }]);
    const cut = good.data.subarray(0, good.data.length - 20);
    const layer = { ...good, data: cut, digest: `sha256:${(await import('node:crypto')).createHash('sha256').update(cut).digest('hex')}` };
    await rejectsWith(inventoryOf([layer]), 'LAYER_MALFORMED', /unexpected end of file|end/i);
  });

  test('bytes that do not match the layer digest are DIGEST_MISMATCH', async () => {
    const good = await layerOf([{ path: 'var/lib/dpkg/status', content: status }]);
    await rejectsWith(inventoryOf([{ ...good, digest: `sha256:${'1'.repeat(64)}` }]), 'DIGEST_MISMATCH', /has digest sha256:/);
  });

  test('a gzip bomb stops at the compression ratio, and a layer past the size limit stops too', async () => {
    // 64 MiB of one file of zeros compresses about 1000:1.
    const tar = await tarOf([{ path: 'big', content: Buffer.alloc(64 * 1024 * 1024) }]);
    const bomb = rawLayer(tar, 'gzip');
    const limits = { ...DEFAULT_SCAN_LIMITS, ratioGraceBytes: 1024 * 1024, maxCompressionRatio: 50 };
    await rejectsWith(inventoryOf([bomb], limits), 'LAYER_TOO_LARGE', /more than 50 times/);
    await rejectsWith(inventoryOf([bomb], { ...DEFAULT_SCAN_LIMITS, maxLayerBytes: 8 * 1024 * 1024 }), 'LAYER_TOO_LARGE', /past 8388608 bytes/);
  });

  test('absolute and `..` entry paths are PATH_INVALID', async () => {
    for (const name of ['/etc/os-release', '../../etc/passwd', 'usr/../../escape']) {
      // tar-stream keeps names as given; build the header by hand for the absolute one.
      const tar = await tarOf([{ path: name, content: 'x' }]);
      await rejectsWith(inventoryOf([rawLayer(tar, 'gzip')]), 'PATH_INVALID', /absolute path|leaves the root/);
    }
  });

  test('a symlink loop on a file the inventory needs is SYMLINK_LOOP', async () => {
    const layer = await layerOf([
      { path: 'etc/os-release', type: 'symlink', linkname: 'os-release.d' },
      { path: 'etc/os-release.d', type: 'symlink', linkname: '/etc/os-release' },
      { path: 'var/lib/dpkg/status', content: status },
    ]);
    await rejectsWith(inventoryOf([layer]), 'SYMLINK_LOOP', /etc\/os-release: more than 40 symbolic links/);
  });

  test('a huge status file is FILE_TOO_LARGE (bounded, never read whole)', async () => {
    const huge = status + '\n' + 'Description: x\n'.repeat(100_000);
    const layer = await layerOf([{ path: 'var/lib/dpkg/status', content: huge }]);
    await rejectsWith(inventoryOf([layer], { ...DEFAULT_SCAN_LIMITS, maxFileBytes: 64 * 1024 }), 'FILE_TOO_LARGE', /var\/lib\/dpkg\/status is \d+ bytes \(limit 65536\)/);
  });

  test('corrupt manifests are MANIFEST_INVALID or MANIFEST_UNSUPPORTED', () => {
    const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${'a'.repeat(64)}`, size: 1 };
    const config = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'b'.repeat(64)}`, size: 2 };
    const cases: [unknown, string, RegExp][] = [
      ['{"schemaVersion":', 'MANIFEST_INVALID', /not JSON/],
      [[], 'MANIFEST_INVALID', /not a JSON object/],
      [{ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] }, 'MANIFEST_UNSUPPORTED', /image index/],
      [{ schemaVersion: 1, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [] }, 'MANIFEST_INVALID', /schemaVersion/],
      [{ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', layers: [] }, 'MANIFEST_INVALID', /config/],
      [{ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [{ ...layer, digest: 'sha256:../../x' }] }, 'MANIFEST_INVALID', /invalid digest/],
      [{ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [{ ...layer, size: -1 }] }, 'MANIFEST_INVALID', /invalid size/],
      [{ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [{ ...layer, mediaType: 'application/x-helm' }] }, 'MANIFEST_UNSUPPORTED', /not a tar layer/],
      [{ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: 'nope' }, 'MANIFEST_INVALID', /layers is not an array/],
    ];
    for (const [doc, code, message] of cases) {
      const bytes = Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc));
      assert.throws(() => parseImageManifest(bytes, undefined, 16), (err: unknown) => err instanceof ScanError && err.code === code && message.test(err.message), JSON.stringify(doc));
    }
  });
});

describe('layer semantics', () => {
  test('whiteouts and opaque directories of upper layers remove what lower layers left', async () => {
    const lower = await layerOf([
      { path: 'var/lib/dpkg/status', content: status },
      { path: 'app/node_modules/lodash/package.json', content: JSON.stringify({ name: 'lodash', version: '4.17.20' }) },
      { path: 'app/node_modules/minimist/package.json', content: JSON.stringify({ name: 'minimist', version: '1.2.5' }) },
      { path: 'srv/lib/python3/site-packages/requests-2.25.0.dist-info/METADATA', content: 'Name: requests\nVersion: 2.25.0\n' },
    ]);
    const upper = await layerOf([
      { path: 'var/lib/dpkg/.wh.status' },
      { path: 'app/node_modules/.wh..wh..opq' },
      // Added in the same layer as the opaque marker: stays.
      { path: 'app/node_modules/express/package.json', content: JSON.stringify({ name: 'express', version: '4.18.2' }) },
      { path: 'srv/lib/python3/.wh.site-packages' },
    ]);
    const inv = await inventoryOf([lower, upper]);
    assert.deepEqual(inv.packages.map((p) => `${p.name}@${p.version}`), ['express@4.18.2']);
    assert.equal(inv.packages[0].layerDigest, upper.digest);
  });

  test('distroless status.d files, `Source: name (version)`, and a Go binary\'s build info', async () => {
    const goInfo = goBinary('go1.21.5', { main: { path: 'example.com/app', version: 'v1.2.3' }, deps: [{ path: 'golang.org/x/net', version: 'v0.17.0' }, { path: 'github.com/a/b', version: 'v1.0.0', replacedBy: { path: 'github.com/fork/b', version: 'v1.0.1' } }] });
    // The magic lands past the first chunks of the stream: found across chunk boundaries.
    const binary = Buffer.concat([goInfo.subarray(0, 8), Buffer.alloc(70_000, 1), goInfo.subarray(8)]);
    const layer = await layerOf([
      { path: 'var/lib/dpkg/status.d/libssl3', content: 'Package: libssl3\nVersion: 3.0.11-1~deb12u1\nSource: openssl (3.0.11-1~deb12u1)\nArchitecture: amd64\n' },
      { path: 'var/lib/dpkg/status.d/libssl3.md5sums', content: 'abc  usr/lib/x\n' },
      { path: 'var/lib/dpkg/status.d/tzdata', content: 'Package: tzdata\nVersion: 2024a-0+deb12u1\nSource: tzdata (2024a-0+deb12u1x)\nArchitecture: all\n' },
      { path: 'usr/local/bin/app', content: binary, mode: 0o755 },
    ]);
    const inv = await inventoryOf([layer]);
    const got = inv.packages.map((p) => `${p.ecosystem}:${p.name}@${p.version}${p.sourceName ? ` src=${p.sourceName}${p.sourceVersion ? `@${p.sourceVersion}` : ''}` : ''}`);
    assert.deepEqual(got, [
      'go:stdlib@v1.21.5',
      'go:example.com/app@v1.2.3',
      'go:golang.org/x/net@v0.17.0',
      'go:github.com/fork/b@v1.0.1',
      'dpkg:libssl3@3.0.11-1~deb12u1 src=openssl',
      'dpkg:tzdata@2024a-0+deb12u1 src=tzdata@2024a-0+deb12u1x',
    ]);
    assert.equal(inv.packages.find((p) => p.name === 'golang.org/x/net')!.purl, 'pkg:golang/golang.org/x/net@v0.17.0');
  });

  test('a gzip layer whose media type says plain tar is still read (content is sniffed)', async () => {
    const tar = await tarOf([{ path: 'lib/apk/db/installed', content: 'P:musl\nV:1.2.4-r2\no:musl\n\n' }]);
    const data = gzipSync(tar);
    const layer = { ...rawLayer(tar, 'none'), data, digest: `sha256:${(await import('node:crypto')).createHash('sha256').update(data).digest('hex')}` };
    assert.deepEqual((await inventoryOf([layer])).packages.map((p) => p.name), ['musl']);
  });
});
