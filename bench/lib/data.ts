/**
 * Test data made once, before anything is timed: random files on disk (streamed by the push
 * scenarios, so making bytes costs nothing while the clock runs) and pools of small blobs and
 * manifests in memory.
 */
import { createHash, randomFillSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, writeSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const MiB = 1024 * 1024;

/**
 * A random file; `bytes`, when set, holds its content read into memory before anything is timed
 * (see `inMemory`), and the push scenarios send that instead of streaming the file.
 */
export interface FileBlob { path: string; size: number; digest: string; bytes?: Buffer }
export interface MemBlob { data: Buffer; digest: string }

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** A random file of `size` bytes, reused across runs (its digest is kept beside it). */
export function randomFile(dir: string, name: string, size: number): FileBlob {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  const digestFile = `${path}.sha256`;
  if (existsSync(path) && existsSync(digestFile) && statSync(path).size === size) {
    return { path, size, digest: readFileSync(digestFile, 'utf8').trim() };
  }
  const hash = createHash('sha256');
  const chunk = Buffer.allocUnsafe(8 * MiB);
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < size; ) {
      const n = Math.min(chunk.length, size - written);
      const part = randomFillSync(chunk, 0, n).subarray(0, n);
      hash.update(part);
      writeSync(fd, part);
      written += n;
    }
  } finally {
    closeSync(fd);
  }
  const digest = `sha256:${hash.digest('hex')}`;
  writeFileSync(digestFile, `${digest}\n`);
  return { path, size, digest };
}

/**
 * The file with its bytes in memory. Why: streaming a file through a read stream cost the
 * generator ~1.5 ms of CPU per MB sent (thread-pool reads into fresh 1 MiB buffers, the stream
 * machinery, their collection), enough to hold it at a full core at ~600 MB/s on a 2-core machine,
 * where it shares the CPUs with the registry it measures. Sent from one Buffer, a body is a
 * single socket write that the kernel drains: the cost left is the kernel's copy and loopback TCP.
 */
export function inMemory(file: FileBlob): FileBlob {
  const bytes = readFileSync(file.path);
  if (bytes.length !== file.size) throw new Error(`${file.path}: ${bytes.length} bytes read, ${file.size} expected`);
  return { ...file, bytes };
}

/**
 * `count` distinct blobs of `size` bytes. They share one random buffer and differ in their
 * first 16 bytes (a nonce and a counter), so a pool of thousands costs one allocation.
 */
export function smallBlobPool(count: number, size: number): MemBlob[] {
  const base = randomBytes(size * count);
  const nonce = randomBytes(8);
  const out: MemBlob[] = [];
  for (let i = 0; i < count; i++) {
    const data = base.subarray(i * size, (i + 1) * size);
    nonce.copy(data, 0);
    data.writeUInt32BE(i, 8);
    out.push({ data, digest: sha256(data) });
  }
  return out;
}

export const CONFIG_MEDIA_TYPE = 'application/vnd.oci.image.config.v1+json';
export const LAYER_MEDIA_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';

export function imageConfig(label: string): MemBlob {
  const data = Buffer.from(JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Labels: { 'bench.lazaret': label } },
    rootfs: { type: 'layers', diff_ids: [] },
  }));
  return { data, digest: sha256(data) };
}

/** An OCI image manifest; `annotation` makes it distinct from its siblings. */
export function imageManifest(config: { digest: string; size: number }, layers: { digest: string; size: number }[], annotation?: string): MemBlob {
  const manifest: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: MANIFEST_MEDIA_TYPE,
    config: { mediaType: CONFIG_MEDIA_TYPE, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: LAYER_MEDIA_TYPE, digest: l.digest, size: l.size })),
  };
  if (annotation !== undefined) manifest.annotations = { 'bench.lazaret/n': annotation };
  const data = Buffer.from(JSON.stringify(manifest));
  return { data, digest: sha256(data) };
}
