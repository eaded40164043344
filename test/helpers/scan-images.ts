/**
 * Small images with real package databases for scanner tests: tar layers built with tar-stream
 * (gzip, zstd via the `zstd` command, or plain), an image config with diff_ids, and an OCI or
 * Docker manifest. The images carry packages at versions with known public advisories; each
 * builder lists what it carries, so tests assert what the scanner found against the image, never
 * against a canned report. Shared by the scanner's own tests and the end-to-end scan tests.
 *
 *   const image = await debianImage();
 *   await pushScanImage(client, 'team/app', '1.0', image);     // a test/helpers/registry-client client
 *   await writeScanImageLayout(dir, { debian: image });          // or an OCI layout for skopeo
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

export interface TarEntry {
  path: string;
  content?: string | Buffer;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  linkname?: string;
  mode?: number;
}

export type LayerCompression = 'gzip' | 'zstd' | 'none';

export interface ScanImageLayer {
  data: Buffer;
  mediaType: string;
  digest: string;
  diffId: string;
}

export interface CarriedPackage {
  ecosystem: 'dpkg' | 'apk' | 'npm' | 'pypi' | 'go';
  name: string;
  version: string;
  sourceName?: string;
}

export interface ScanImage {
  config: Buffer;
  layers: ScanImageLayer[];
  manifest: Record<string, unknown>;
  manifestBytes: Buffer;
  mediaType: string;
  digest: string;
  /** What the image's package databases list (installed packages only). */
  packages: CarriedPackage[];
  os?: { id: string; versionId: string };
}

const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** A tar stream of the entries, in memory (test layers are small). */
export async function tarOf(entries: TarEntry[]): Promise<Buffer> {
  const p = pack();
  const parts: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    p.on('data', (c) => parts.push(c as Buffer));
    p.on('end', () => resolve());
    p.on('error', reject);
  });
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header = { name: e.path, type, mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644), linkname: e.linkname, mtime: new Date(0) };
    if (type === 'file') {
      const content = Buffer.from(e.content ?? '');
      await new Promise<void>((resolve, reject) => p.entry({ ...header, size: content.length }, content, (err) => (err ? reject(err) : resolve())));
    } else {
      await new Promise<void>((resolve, reject) => p.entry(header, (err) => (err ? reject(err) : resolve())));
    }
  }
  p.finalize();
  await done;
  return Buffer.concat(parts);
}

export function compress(tar: Buffer, compression: LayerCompression): Buffer {
  if (compression === 'gzip') return gzipSync(tar);
  if (compression === 'none') return tar;
  const r = spawnSync('zstd', ['-q', '-c', '-3'], { input: tar, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`zstd failed: ${r.stderr?.toString()}`);
  return r.stdout;
}

export async function layerOf(entries: TarEntry[], compression: LayerCompression = 'gzip'): Promise<ScanImageLayer> {
  return rawLayer(await tarOf(entries), compression);
}

/** A layer from raw tar bytes (malformed ones too). */
export function rawLayer(tar: Buffer, compression: LayerCompression = 'gzip'): ScanImageLayer {
  const data = compress(tar, compression);
  const suffix = compression === 'none' ? '' : `+${compression}`;
  return { data, mediaType: `application/vnd.oci.image.layer.v1.tar${suffix}`, digest: sha256(data), diffId: sha256(tar) };
}

/** Config and manifest over the layers; `docker` picks the Docker v2 schema 2 media types. */
export function imageOf(layers: ScanImageLayer[], options: { docker?: boolean; packages?: CarriedPackage[]; os?: ScanImage['os']; salt?: string } = {}): ScanImage {
  const docker = options.docker === true;
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: { salt: options.salt ?? String(Math.random()) } },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    }),
  );
  const mediaType = docker ? 'application/vnd.docker.distribution.manifest.v2+json' : 'application/vnd.oci.image.manifest.v1+json';
  const manifest = {
    schemaVersion: 2,
    mediaType,
    config: { mediaType: docker ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: layers.map((l) => ({
      mediaType: docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : l.mediaType,
      digest: l.digest,
      size: l.data.length,
    })),
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  return { config, layers, manifest, manifestBytes, mediaType, digest: sha256(manifestBytes), packages: options.packages ?? [], ...(options.os ? { os: options.os } : {}) };
}

export function dpkgStanza(p: { name: string; version: string; source?: string; status?: string; arch?: string }): string {
  return [
    `Package: ${p.name}`,
    `Status: ${p.status ?? 'install ok installed'}`,
    'Priority: optional',
    `Architecture: ${p.arch ?? 'amd64'}`,
    ...(p.source ? [`Source: ${p.source}`] : []),
    `Version: ${p.version}`,
    'Description: test package',
    ' carried by a Lazaret scanner test image',
    '',
  ].join('\n');
}

const DEBIAN_OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n';

/**
 * Debian 12 in two layers: the base (os-release as Debian ships it, a symlink to
 * usr/lib/os-release; base-files, zlib1g, a removed package) and a layer that installs OpenSSL
 * 3.0.11-1~deb12u1 (openssl and libssl3, source openssl), which bookworm's later openssl
 * security updates fix.
 */
export async function debianImage(options: { compression?: LayerCompression; docker?: boolean } = {}): Promise<ScanImage> {
  const base = [
    dpkgStanza({ name: 'base-files', version: '12.4+deb12u1' }),
    dpkgStanza({ name: 'zlib1g', version: '1:1.2.13.dfsg-1', source: 'zlib' }),
    dpkgStanza({ name: 'oldpkg', version: '1.0-1', status: 'deinstall ok config-files' }),
  ];
  const ssl = [dpkgStanza({ name: 'libssl3', version: '3.0.11-1~deb12u1', source: 'openssl' }), dpkgStanza({ name: 'openssl', version: '3.0.11-1~deb12u1' })];
  const compression = options.compression ?? 'gzip';
  const layer1 = await layerOf(
    [
      { path: 'etc/', type: 'directory' },
      { path: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
      { path: 'usr/lib/os-release', content: DEBIAN_OS_RELEASE },
      { path: 'var/lib/dpkg/status', content: base.join('\n') },
    ],
    compression,
  );
  const layer2 = await layerOf([{ path: 'var/lib/dpkg/status', content: [...base, ...ssl].join('\n') }, { path: 'usr/bin/openssl', content: 'not really a binary', mode: 0o755 }], compression);
  return imageOf([layer1, layer2], {
    docker: options.docker,
    os: { id: 'debian', versionId: '12' },
    packages: [
      { ecosystem: 'dpkg', name: 'base-files', version: '12.4+deb12u1' },
      { ecosystem: 'dpkg', name: 'zlib1g', version: '1:1.2.13.dfsg-1', sourceName: 'zlib' },
      { ecosystem: 'dpkg', name: 'libssl3', version: '3.0.11-1~deb12u1', sourceName: 'openssl' },
      { ecosystem: 'dpkg', name: 'openssl', version: '3.0.11-1~deb12u1', sourceName: 'openssl' },
    ],
  });
}

/** Alpine 3.19 with OpenSSL 3.1.4-r1 (libcrypto3, libssl3; origin openssl: CVE-2024-0727 fixed in 3.1.4-r5), musl and busybox. */
export async function alpineImage(options: { compression?: LayerCompression } = {}): Promise<ScanImage> {
  const apk = (p: { name: string; version: string; origin: string; license: string }) =>
    [`C:Q1${createHash('sha1').update(p.name).digest('base64')}`, `P:${p.name}`, `V:${p.version}`, 'A:x86_64', `L:${p.license}`, `o:${p.origin}`, 'T:test package', ''].join('\n');
  const pkgs = [
    { name: 'musl', version: '1.2.4_git20230717-r4', origin: 'musl', license: 'MIT' },
    { name: 'busybox', version: '1.36.1-r15', origin: 'busybox', license: 'GPL-2.0-only' },
    { name: 'libcrypto3', version: '3.1.4-r1', origin: 'openssl', license: 'Apache-2.0' },
    { name: 'libssl3', version: '3.1.4-r1', origin: 'openssl', license: 'Apache-2.0' },
  ];
  const layer = await layerOf(
    [
      { path: 'etc/os-release', content: 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n' },
      { path: 'lib/apk/db/installed', content: pkgs.map(apk).join('\n') },
    ],
    options.compression ?? 'gzip',
  );
  return imageOf([layer], {
    os: { id: 'alpine', versionId: '3.19.1' },
    packages: pkgs.map((p) => ({ ecosystem: 'apk' as const, name: p.name, version: p.version, sourceName: p.origin })),
  });
}

/**
 * An application image without OS packages: lodash 4.17.20 in node_modules (CVE-2021-23337 and
 * CVE-2020-28500, fixed in 4.17.21), a package-lock.json pinning minimist 1.2.5 (CVE-2021-44906,
 * fixed in 1.2.6), Python requests 2.25.0 (CVE-2023-32681, fixed in 2.31.0) and a Go 1.21.3
 * binary built with golang.org/x/net v0.16.0 (CVE-2023-39325, fixed in 0.17.0). The advisories
 * are those of test/helpers/scan-feeds.ts.
 */
export async function appImage(): Promise<ScanImage> {
  const lock = { name: 'app', version: '1.0.0', lockfileVersion: 3, packages: { '': { name: 'app', version: '1.0.0' }, 'node_modules/minimist': { version: '1.2.5', license: 'MIT' } } };
  const layer = await layerOf([
    { path: 'app/package.json', content: JSON.stringify({ name: 'app', version: '1.0.0' }) },
    { path: 'app/package-lock.json', content: JSON.stringify(lock) },
    { path: 'app/node_modules/lodash/package.json', content: JSON.stringify({ name: 'lodash', version: '4.17.20', license: 'MIT' }) },
    { path: 'usr/lib/python3/site-packages/requests-2.25.0.dist-info/METADATA', content: 'Metadata-Version: 2.1\nName: requests\nVersion: 2.25.0\nLicense: Apache 2.0\n\nRequests is an HTTP library.\n' },
    { path: 'usr/local/bin/server', content: goBinary('go1.21.3', { main: { path: 'example.com/server', version: '(devel)' }, deps: [{ path: 'golang.org/x/net', version: 'v0.16.0' }] }), mode: 0o755 },
  ]);
  return imageOf([layer], {
    packages: [
      { ecosystem: 'npm', name: 'minimist', version: '1.2.5' },
      { ecosystem: 'npm', name: 'lodash', version: '4.17.20' },
      { ecosystem: 'pypi', name: 'requests', version: '2.25.0' },
      { ecosystem: 'go', name: 'stdlib', version: 'v1.21.3' },
      { ecosystem: 'go', name: 'golang.org/x/net', version: 'v0.16.0' },
    ],
  });
}

/**
 * An ELF-looking file carrying Go's build info (the Go 1.18+ `.go.buildinfo` layout: 32-byte
 * header with the magic, pointer size and flag 2 = inline strings, then the varint-prefixed
 * version and module strings framed by 16-byte sentinels), as `go version -m` reads it.
 */
export function goBinary(goVersion: string, mods: { main?: { path: string; version: string }; deps: { path: string; version: string; replacedBy?: { path: string; version: string } }[] }): Buffer {
  const lines = ['path\t' + (mods.main?.path ?? 'example.com/cmd')];
  if (mods.main) lines.push(`mod\t${mods.main.path}\t${mods.main.version}\t`);
  for (const d of mods.deps) {
    lines.push(`dep\t${d.path}\t${d.version}\th1:test=`);
    if (d.replacedBy) lines.push(`=>\t${d.replacedBy.path}\t${d.replacedBy.version}\th1:test=`);
  }
  const varint = (n: number) => {
    const out: number[] = [];
    while (n >= 0x80) {
      out.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.push(n);
    return Buffer.from(out);
  };
  const header = Buffer.alloc(32);
  Buffer.from('\xff Go buildinf:', 'latin1').copy(header);
  header[14] = 8;
  header[15] = 0x2;
  const sentinel = Buffer.alloc(16, 0x30);
  const mod = Buffer.concat([sentinel, Buffer.from(`${lines.join('\n')}\n`), sentinel]);
  mod[mod.length - 17] = 0x0a;
  const info = Buffer.concat([header, varint(goVersion.length), Buffer.from(goVersion), varint(mod.length), mod]);
  return Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(4096), info, Buffer.alloc(512)]);
}

/** Debian 12 with only base-files 12.4+deb12u5: nothing with an advisory. */
export async function cleanImage(): Promise<ScanImage> {
  const layer = await layerOf([
    { path: 'etc/os-release', content: DEBIAN_OS_RELEASE },
    { path: 'var/lib/dpkg/status', content: dpkgStanza({ name: 'base-files', version: '12.4+deb12u5' }) },
  ]);
  return imageOf([layer], { os: { id: 'debian', versionId: '12' }, packages: [{ ecosystem: 'dpkg', name: 'base-files', version: '12.4+deb12u5' }] });
}

/** Pushes an image with a test/helpers/registry-client.ts client (its default headers carry auth). */
export async function pushScanImage(
  client: { pushBlob(name: string, data: Buffer): Promise<string>; pushManifest(name: string, ref: string, m: Buffer, mediaType?: string): Promise<string> },
  repository: string,
  reference: string,
  image: ScanImage,
): Promise<string> {
  await client.pushBlob(repository, image.config);
  for (const layer of image.layers) await client.pushBlob(repository, layer.data);
  return client.pushManifest(repository, reference, image.manifestBytes, image.mediaType);
}

/** An OCI layout holding the images under the given ref names (`skopeo copy oci:DIR:NAME ...`). */
export async function writeScanImageLayout(dir: string, images: Record<string, ScanImage>): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const write = (data: Buffer) => writeFile(join(dir, 'blobs', 'sha256', sha256(data).slice(7)), data);
  const manifests = [];
  for (const [name, image] of Object.entries(images)) {
    await write(image.config);
    for (const l of image.layers) await write(l.data);
    await write(image.manifestBytes);
    manifests.push({ mediaType: image.mediaType, digest: image.digest, size: image.manifestBytes.length, annotations: { 'org.opencontainers.image.ref.name': name } });
  }
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
}
