/**
 * Small file and stream helpers of the filesystem BlobStore (fs-blob-store.ts).
 */
import { createReadStream } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import type { Hash } from 'node:crypto';
import { Transform, Writable } from 'node:stream';
import { createDigester, type DigestAlgorithm } from '../oci/index.ts';
import { blobBytesReceived } from './young-collections.ts';

/**
 * Read size of blob pulls (and of hashing a file). Each read allocates a new buffer outside the
 * V8 heap that lives until a garbage collection finds it dead, so with several pulls in flight
 * the size multiplies into RSS: 256 KiB instead of 1 MiB lowered the peak of four concurrent
 * 64 MiB pulls from 119-141 to 111-116 MiB and cost no CPU per byte (bench/README.md, "Memory").
 */
export const READ_HIGH_WATER_MARK = 256 * 1024;

export const isEnoent = (err: unknown) => (err as NodeJS.ErrnoException)?.code === 'ENOENT';

/**
 * A pass-through that feeds a hash and counts bytes. Every blob write goes through it, so it
 * also paces the young-generation collections that free received request chunks
 * (./young-collections.ts).
 */
export function hashTap(hash: Hash, counter: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      counter.bytes += chunk.length;
      blobBytesReceived(chunk.length);
      done(null, chunk);
    },
  });
}

/**
 * How many bytes the file writer buffers while a write is in flight: socket chunks (16-64 KiB)
 * that arrive meanwhile are written together by one writev, so a push whose disk writes lag
 * makes one thread-pool round trip per up-to-1 MiB batch instead of one per chunk.
 */
export const WRITE_COALESCE_BYTES = 1024 * 1024;

/**
 * A Writable onto an open FileHandle that leaves it open (to datasync it before closing),
 * writing at `position` onwards (default: the handle's current position, i.e. from 0 on a
 * fresh file).
 *
 * Decision: chunks are coalesced only while a write is in flight (Writable's `writev`), not
 * held back until 1 MiB is pending, because bytes a client has sent must reach the file
 * without waiting for more: an upload's reported progress (GET on the session) and a client
 * that stalls mid-chunk depend on it. Memory per upload stays bounded by the high-water mark
 * plus one chunk (back-pressure pauses the socket beyond it).
 */
export function writerTo(fh: FileHandle, position?: number): Writable {
  let at = position;

  async function writeAll(buffers: Buffer[]) {
    let left = 0;
    for (const b of buffers) left += b.length;
    // writev(2) may write less than asked; loop on what is left.
    for (;;) {
      const { bytesWritten } = at === undefined ? await fh.writev(buffers) : await fh.writev(buffers, at);
      if (at !== undefined) at += bytesWritten;
      left -= bytesWritten;
      if (left <= 0) return;
      const all = Buffer.concat(buffers);
      buffers = [all.subarray(all.length - left)];
    }
  }

  return new Writable({
    highWaterMark: WRITE_COALESCE_BYTES,
    write(chunk: Buffer, _enc, done) {
      writeAll([chunk]).then(() => done(), done);
    },
    writev(chunks, done) {
      writeAll(chunks.map((c) => c.chunk as Buffer)).then(() => done(), done);
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
