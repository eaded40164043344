/**
 * Builds OCI image layouts on disk for end-to-end tests (skopeo `oci:DIR:REF`): random gzip
 * layers of any size (streamed, never held whole in memory), image configs, image manifests and
 * multi-arch indexes, and the layout's index.json. Also reads layouts back for comparisons.
 *
 *   const layout = await createOciLayout(dir);
 *   const amd = await layout.addImage({ layerSizes: [5, 1 << 20], architecture: 'amd64' });
 *   const arm = await layout.addImage({ layerSizes: [5], architecture: 'arm64' });
 *   const index = await layout.addIndex([amd, arm]);
 *   await layout.writeIndex({ single: amd.manifest, multi: index });
 *   // skopeo copy --all oci:DIR:multi docker://HOST/repo:tag
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';

export interface LayoutDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string };
  annotations?: Record<string, string>;
}

export interface LayoutImage {
  manifest: LayoutDescriptor;
  config: LayoutDescriptor;
  layers: LayoutDescriptor[];
}

export const LAYOUT_MEDIA_TYPES = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** Random bytes of `size`, produced in 1 MiB pieces. */
function randomStream(size: number): Readable {
  let left = size;
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const n = Math.min(left, 1024 * 1024);
      left -= n;
      this.push(randomBytes(n));
    },
  });
}

/**
 * A ustar archive of regular files (mode 0644, mtime 0), for layers a client must unpack
 * (podman and docker extract every layer they pull; random bytes are no archive).
 */
export function tarOf(files: Record<string, string | Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.from(content);
    const header = Buffer.alloc(512);
    const field = (offset: number, length: number, value: string) => header.write(value, offset, length, 'ascii');
    field(0, 100, name);
    field(100, 8, '0000644\0');
    field(108, 8, '0000000\0');
    field(116, 8, '0000000\0');
    field(124, 12, `${data.length.toString(8).padStart(11, '0')}\0`);
    field(136, 12, '00000000000\0');
    field(148, 8, '        ');
    field(156, 1, '0');
    field(257, 8, 'ustar\u000000');
    let sum = 0;
    for (const byte of header) sum += byte;
    field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
    parts.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export interface OciLayout {
  readonly dir: string;
  /** Path of a blob file in the layout. */
  blobPath(digest: string): string;
  /** Writes bytes as a blob; returns its digest and size. */
  writeBlob(data: Buffer | string): Promise<{ digest: string; size: number }>;
  /**
   * A gzip layer of `uncompressedSize` random bytes (real gzip, so clients that sniff
   * compression copy it unchanged). Returns the blob descriptor and the diffID.
   */
  writeRandomLayer(uncompressedSize: number): Promise<{ descriptor: LayoutDescriptor; diffId: string }>;
  /**
   * An image: random layers of the given (uncompressed) sizes, a config and a manifest. With
   * `files`, the first layer is a real gzip tar of them (for clients that unpack layers).
   */
  addImage(options: { layerSizes: number[]; files?: Record<string, string>; architecture?: string; os?: string; annotations?: Record<string, string> }): Promise<LayoutImage>;
  /** An OCI index of images (with their platforms). */
  addIndex(images: LayoutImage[]): Promise<LayoutDescriptor>;
  /** Writes index.json naming each descriptor with `org.opencontainers.image.ref.name`. */
  writeIndex(refs: Record<string, LayoutDescriptor>): Promise<void>;
}

export async function createOciLayout(dir: string): Promise<OciLayout> {
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  let counter = 0;

  const layout: OciLayout = {
    dir,
    blobPath: (digest) => join(dir, 'blobs', ...digest.split(':')),
    async writeBlob(data) {
      const digest = sha256(data);
      await writeFile(layout.blobPath(digest), data);
      return { digest, size: Buffer.byteLength(data) };
    },
    async writeRandomLayer(uncompressedSize) {
      const diff = createHash('sha256');
      const compressed = createHash('sha256');
      let size = 0;
      const temp = join(blobs, `.tmp-${process.pid}-${counter++}`);
      await pipeline(
        randomStream(uncompressedSize),
        async function* (source) {
          for await (const chunk of source) {
            diff.update(chunk as Buffer);
            yield chunk;
          }
        },
        createGzip({ level: 1 }),
        async function* (source) {
          for await (const chunk of source) {
            compressed.update(chunk as Buffer);
            size += (chunk as Buffer).length;
            yield chunk;
          }
        },
        createWriteStream(temp),
      );
      const digest = `sha256:${compressed.digest('hex')}`;
      await rename(temp, layout.blobPath(digest));
      return { descriptor: { mediaType: LAYOUT_MEDIA_TYPES.layerGzip, digest, size }, diffId: `sha256:${diff.digest('hex')}` };
    },
    async addImage({ layerSizes, files, architecture = 'amd64', os = 'linux', annotations }) {
      const layers: LayoutDescriptor[] = [];
      const diffIds: string[] = [];
      if (files) {
        const tar = tarOf(files);
        const blob = await layout.writeBlob(gzipSync(tar));
        layers.push({ mediaType: LAYOUT_MEDIA_TYPES.layerGzip, ...blob });
        diffIds.push(sha256(tar));
      }
      for (const n of layerSizes) {
        const { descriptor, diffId } = await layout.writeRandomLayer(n);
        layers.push(descriptor);
        diffIds.push(diffId);
      }
      const config = JSON.stringify({
        created: new Date(0).toISOString(),
        architecture,
        os,
        config: { Env: ['PATH=/usr/bin'], Labels: { nonce: randomBytes(8).toString('hex') } },
        rootfs: { type: 'layers', diff_ids: diffIds },
        history: diffIds.map(() => ({ created_by: 'lazaret test' })),
      });
      const c = await layout.writeBlob(config);
      const configDesc = { mediaType: LAYOUT_MEDIA_TYPES.config, ...c };
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: LAYOUT_MEDIA_TYPES.manifest,
        config: configDesc,
        layers,
        ...(annotations ? { annotations } : {}),
      });
      const m = await layout.writeBlob(manifest);
      return { manifest: { mediaType: LAYOUT_MEDIA_TYPES.manifest, ...m, platform: { architecture, os } }, config: configDesc, layers };
    },
    async addIndex(images) {
      const index = JSON.stringify({ schemaVersion: 2, mediaType: LAYOUT_MEDIA_TYPES.index, manifests: images.map((i) => i.manifest) });
      const b = await layout.writeBlob(index);
      return { mediaType: LAYOUT_MEDIA_TYPES.index, ...b };
    },
    async writeIndex(refs) {
      const manifests = Object.entries(refs).map(([name, d]) => {
        const { platform: _p, ...rest } = d;
        return { ...rest, annotations: { ...(d.annotations ?? {}), 'org.opencontainers.image.ref.name': name } };
      });
      await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: LAYOUT_MEDIA_TYPES.index, manifests }));
    },
  };
  return layout;
}

/** Every blob digest in a layout (sha256 and sha512). */
export async function listLayoutBlobs(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const algorithm of ['sha256', 'sha512']) {
    let names: string[] = [];
    try {
      names = await readdir(join(dir, 'blobs', algorithm));
    } catch {
      continue;
    }
    out.push(...names.filter((n) => /^[a-f0-9]+$/.test(n)).map((n) => `${algorithm}:${n}`));
  }
  return out.sort();
}

export async function readLayoutBlob(dir: string, digest: string): Promise<Buffer> {
  return readFile(join(dir, 'blobs', ...digest.split(':')));
}
