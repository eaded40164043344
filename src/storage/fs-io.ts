/**
 * Small file and stream helpers of the filesystem BlobStore (fs-blob-store.ts).
 */
import { createReadStream } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import type { Hash } from 'node:crypto';
import { Transform, Writable } from 'node:stream';
import { createDigester, type DigestAlgorithm } from '../oci/digest.ts';

/** Blob pulls are benchmarked: big reads mean fewer syscalls and fewer chunks through Fastify. */
export const READ_HIGH_WATER_MARK = 1024 * 1024;

export const isEnoent = (err: unknown) => (err as NodeJS.ErrnoException)?.code === 'ENOENT';

/** A pass-through that feeds a hash and counts bytes. */
export function hashTap(hash: Hash, counter: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      counter.bytes += chunk.length;
      done(null, chunk);
    },
  });
}

/** A Writable onto an open FileHandle that leaves it open (to datasync it before closing). */
export function writerTo(fh: FileHandle): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      (async () => {
        // write(2) may write less than asked; loop until the chunk is on its way.
        for (let off = 0; off < chunk.length; ) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
      })().then(() => done(), done);
    },
  });
}

/** fdatasync (`data`) or fsync (`full`, also for directories) a path. */
export async function syncPath(path: string, how: 'data' | 'full') {
  const fh = await open(path, 'r');
  try {
    await (how === 'data' ? fh.datasync() : fh.sync());
  } finally {
    await fh.close();
  }
}

/** The hex digest of a file, streamed. */
export async function hashFile(path: string, algorithm: DigestAlgorithm): Promise<string> {
  const hash = createDigester(algorithm);
  for await (const chunk of createReadStream(path, { highWaterMark: READ_HIGH_WATER_MARK })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** unlink, where "already gone" is fine. */
export async function removeQuietly(path: string) {
  await unlink(path).catch((err) => {
    if (!isEnoent(err)) throw err;
  });
}
