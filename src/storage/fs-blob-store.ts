/**
 * The filesystem BlobStore driver (contract: blob-store.ts).
 *
 * On-disk layout under `root` (also in docs/storage.md):
 *
 *   <root>/sha256/<hex[0:2]>/<hex>    committed blobs, content-addressed (sha512 likewise)
 *   <root>/_uploads/<uuid>            temp data: chunked upload sessions AND in-flight `put`s
 *
 * Crash safety: bytes are only ever written under `_uploads/` (same filesystem as the committed
 * area), and a file is `rename`d into `<alg>/<xx>/<hex>` only after its digest matched. rename
 * is atomic, so a reader sees either no blob or the whole blob: a kill -9, a dropped client or
 * a wrong digest leaves at most an orphan under `_uploads/`, which `uploads.listStale` reports
 * (its name is a UUID like any upload's) and the janitor removes with `uploads.abort`.
 *
 * Decision (fsync): by default (`fsync: 'data'`) a verified temp file is fdatasync'ed before
 * the rename, so after a power loss a committed name never points at missing or zero-filled
 * bytes: a blob is whole or absent. The directory is not fsync'ed by default: that would make
 * a just-committed blob survive a power loss too, but it halves small-blob push throughput
 * (measured at 32 concurrent 4 KiB pushes), and a lost blob is re-pushed by the client's next
 * HEAD/PUT. `fsync: 'full'` adds it; `fsync: false` skips both (throwaway stores). A process
 * crash alone never needs either: the kernel keeps the page cache. CNCF Distribution's
 * filesystem driver does not fsync at all.
 *
 * Decision (input checks): digests go through src/oci/digest.ts and upload ids through a
 * strict UUID regex BEFORE any path is built; a bad digest throws StorageError invalid-argument, a
 * bad upload id reads as an unknown upload (not-found, `size` → undefined, `abort` → no-op).
 */
import { mkdir, open, readdir, rename, stat, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDigester, parseDigest, type Digest, type DigestAlgorithm, type ParsedDigest } from '../oci/index.ts';
import { hashFile, hashTap, isEnoent, removeQuietly, syncPath, writerTo } from './fs-io.ts';
import { pooledFileReader } from './read-buffers.ts';
import { storageErrors } from './errors.ts';
import type { BlobInfo, BlobStore, ByteRange, UploadArea } from './blob-store.ts';

export interface FsBlobStoreOptions {
  /** What to sync around the commit rename: 'data' (default), 'full' (+ directory), false. */
  fsync?: 'data' | 'full' | false;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The algorithm tracked incrementally during chunked uploads; others re-hash at commit. */
const INCREMENTAL_ALGORITHM: DigestAlgorithm = 'sha256';

interface HashState {
  hash: Hash;
  /** Bytes fed into `hash`; must equal the file size for the state to be trusted. */
  offset: number;
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (isEnoent(err)) return [];
    throw err;
  }
}

export function createFsBlobStore(root: string, options: FsBlobStoreOptions = {}): BlobStore {
  const syncData = (options.fsync ?? 'data') !== false;
  const syncDir = options.fsync === 'full';
  const uploadsDir = join(root, '_uploads');
  const hashStates = new Map<string, HashState>();
  /** Background fdatasyncs of appended chunks, per upload (see "syncing chunks early"). */
  const chunkSyncs = new Map<string, Promise<unknown>>();
  const locks = new Map<string, Promise<unknown>>();
  const madeDirs = new Set<string>();

  function checkDigest(digest: string): ParsedDigest {
    const parsed = parseDigest(digest);
    if (!parsed) throw storageErrors.invalidDigest();
    return parsed;
  }
  const blobDir = (p: ParsedDigest) => join(root, p.algorithm, p.hex.slice(0, 2));
  const blobPath = (p: ParsedDigest) => join(blobDir(p), p.hex);
  const uploadPath = (id: string) => join(uploadsDir, id);
  const validUploadId = (id: string) => typeof id === 'string' && UUID_RE.test(id);

  async function ensureDir(dir: string) {
    if (madeDirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    madeDirs.add(dir);
  }

  /** Serialises operations on one upload within this process (two PATCHes at one offset). */
  async function withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = locks.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const settled = run.catch(() => undefined);
    locks.set(id, settled);
    try {
      return await run;
    } finally {
      if (locks.get(id) === settled) locks.delete(id);
    }
  }

  /** Moves a verified temp file into the committed area; `synced`: its data is already on disk. */
  async function promote(tempPath: string, p: ParsedDigest, synced = false) {
    if (syncData && !synced) await syncPath(tempPath, 'data');
    const dir = blobDir(p);
    await ensureDir(dir);
    // Renaming over an existing blob is fine: same digest, same bytes, and open readers keep
    // their inode.
    try {
      await rename(tempPath, blobPath(p));
    } catch (err) {
      // The fan-out directory may have been removed since we created it (an operator or a
      // garbage collector tidying empty directories): recreate once and retry.
      if (!isEnoent(err)) throw err;
      madeDirs.delete(dir);
      await ensureDir(dir);
      await rename(tempPath, blobPath(p));
    }
    if (syncDir) await syncPath(dir, 'full');
  }

  async function statBlob(digest: Digest): Promise<BlobInfo | undefined> {
    const p = checkDigest(digest);
    try {
      const s = await stat(blobPath(p));
      return { digest, size: s.size };
    } catch (err) {
      if (isEnoent(err)) return undefined;
      throw err;
    }
  }

  /**
   * Starts an fdatasync of an upload's file after a chunk was appended, chained after the
   * upload's earlier ones; `fh` is closed when it ends. The chain settles to the first error.
   */
  function syncChunkLater(uploadId: string, fh: FileHandle) {
    const previous = chunkSyncs.get(uploadId) ?? Promise.resolve();
    const sync = fh.datasync().finally(() => fh.close());
    // A chain that succeeded forgets itself (an upload abandoned here must not stay in the map);
    // one that failed stays until the commit throws it or an abort drops it.
    const chained: Promise<unknown> = Promise.all([previous, sync]).then(() => {
      if (chunkSyncs.get(uploadId) === chained) chunkSyncs.delete(uploadId);
    });
    chained.catch(() => undefined);
    chunkSyncs.set(uploadId, chained);
  }

  /** Waits for an upload's background chunk syncs; throws the first one's failure. */
  async function chunkSyncsOf(uploadId: string) {
    const pending = chunkSyncs.get(uploadId);
    if (!pending) return;
    try {
      await pending;
    } finally {
      if (chunkSyncs.get(uploadId) === pending) chunkSyncs.delete(uploadId);
    }
  }

  const uploads: UploadArea = {
    async create(uploadId) {
      if (!validUploadId(uploadId)) throw storageErrors.invalidUploadId();
      await ensureDir(uploadsDir);
      let fh;
      try {
        fh = await open(uploadPath(uploadId), 'wx');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw storageErrors.uploadExists();
        throw err;
      }
      await fh.close();
      hashStates.set(uploadId, { hash: createDigester(INCREMENTAL_ALGORITHM), offset: 0 });
    },

    async append(uploadId, offset, data) {
      if (!validUploadId(uploadId)) throw storageErrors.uploadNotFound();
      return withLock(uploadId, async () => {
        const path = uploadPath(uploadId);
        let size: number;
        try {
          size = (await stat(path)).size;
        } catch (err) {
          if (isEnoent(err)) throw storageErrors.uploadNotFound();
          throw err;
        }
        if (offset !== size) throw storageErrors.outOfOrder(size);
        let state = hashStates.get(uploadId);
        if (state && state.offset !== size) state = undefined; // another process wrote: stale
        if (!state && size === 0) state = { hash: createDigester(INCREMENTAL_ALGORITHM), offset: 0 };
        if (state) hashStates.set(uploadId, state);
        else hashStates.delete(uploadId);
        // Without a trusted state, hash into a throwaway; commit re-hashes the file.
        const counter = { bytes: 0 };
        try {
          const fh = await open(path, 'r+');
          let closeLater = false;
          try {
            await pipeline(data, hashTap(state?.hash ?? createDigester(INCREMENTAL_ALGORITHM), counter), writerTo(fh, offset));
            if (syncData && counter.bytes > 0) {
              syncChunkLater(uploadId, fh);
              closeLater = true;
            }
          } finally {
            if (!closeLater) await fh.close();
          }
        } catch (err) {
          // A failed chunk leaves the upload as it was, so the client can resend it.
          hashStates.delete(uploadId);
          await truncate(path, offset).catch(() => undefined);
          throw err;
        }
        if (state) state.offset = offset + counter.bytes;
        return offset + counter.bytes;
      });
    },

    async size(uploadId) {
      if (!validUploadId(uploadId)) return undefined;
      try {
        return (await stat(uploadPath(uploadId))).size;
      } catch (err) {
        if (isEnoent(err)) return undefined;
        throw err;
      }
    },

    async commit(uploadId, expected) {
      const p = checkDigest(expected);
      if (!validUploadId(uploadId)) throw storageErrors.uploadNotFound();
      return withLock(uploadId, async () => {
        // First move the data to a private name: from here on no other process can append to
        // it, so the size and digest checked below are those of the bytes that get committed.
        // (A UUID name: if we crash before the end, the stale sweep still finds it.)
        const path = uploadPath(randomUUID());
        try {
          await rename(uploadPath(uploadId), path);
        } catch (err) {
          if (isEnoent(err)) throw storageErrors.uploadNotFound();
          throw err;
        }
        const size = (await stat(path)).size;
        const state = hashStates.get(uploadId);
        hashStates.delete(uploadId);
        try {
          await chunkSyncsOf(uploadId);
        } catch (err) {
          await removeQuietly(path);
          throw err;
        }
        const actual =
          state && state.offset === size && p.algorithm === INCREMENTAL_ALGORITHM
            ? state.hash.digest('hex')
            : await hashFile(path, p.algorithm);
        if (actual !== p.hex) {
          await removeQuietly(path);
          throw storageErrors.digestMismatch();
        }
        await promote(path, p);
        return { digest: expected, size };
      });
    },

    async abort(uploadId) {
      if (!validUploadId(uploadId)) return;
      await withLock(uploadId, async () => {
        hashStates.delete(uploadId);
        await chunkSyncsOf(uploadId).catch(() => undefined); // the bytes are going anyway
        await removeQuietly(uploadPath(uploadId));
      });
    },

    async listStale(before) {
      let names: string[];
      try {
        names = await readdir(uploadsDir);
      } catch (err) {
        if (isEnoent(err)) return [];
        throw err;
      }
      const stale: string[] = [];
      for (const name of names) {
        if (!validUploadId(name)) continue;
        try {
          const s = await stat(uploadPath(name));
          if (s.mtimeMs < before.getTime()) stale.push(name);
        } catch (err) {
          if (!isEnoent(err)) throw err; // removed meanwhile: not stale, gone
        }
      }
      return stale.sort();
    },
  };

  return {
    stat: statBlob,

    async open(digest, range?: ByteRange) {
      const p = checkDigest(digest);
      let fh;
      try {
        // Opening first gives a definite "absent" and keeps the bytes readable even if the
        // blob is deleted while streaming.
        fh = await open(blobPath(p), 'r');
      } catch (err) {
        if (isEnoent(err)) return undefined;
        throw err;
      }
      let span = range;
      if (!span) {
        // Bounded by the size, so a 4 KiB blob is read into 4 KiB, not a 256 KiB buffer.
        let size: number;
        try {
          size = (await fh.stat()).size;
        } catch (err) {
          await fh.close();
          throw err;
        }
        if (size === 0) {
          await fh.close();
          return Readable.from([]);
        }
        span = { start: 0, end: size - 1 };
      }
      // Large reads go into reused buffers that the response gives back (read-buffers.ts).
      return pooledFileReader(fh, span.start, span.end);
    },

    async put(expected, data, expectedSize) {
      const p = checkDigest(expected);
      const hash = createDigester(p.algorithm);
      const counter = { bytes: 0 };
      const finish = () => {
        if (hash.digest('hex') !== p.hex) throw storageErrors.digestMismatch();
        if (expectedSize !== undefined && counter.bytes !== expectedSize) throw storageErrors.sizeMismatch();
      };
      if (await statBlob(expected)) {
        // Idempotent, but the caller's bytes are still checked: a wrong digest is an error
        // even when the blob it names exists.
        await pipeline(data, hashTap(hash, counter), async (source: AsyncIterable<Buffer>) => {
          for await (const _ of source) void _;
        });
        finish();
        return { digest: expected, size: counter.bytes };
      }
      await ensureDir(uploadsDir);
      const temp = uploadPath(randomUUID());
      try {
        // One handle for write and sync: small pushes are dominated by file-system round trips.
        const fh = await open(temp, 'wx');
        try {
          await pipeline(data, hashTap(hash, counter), writerTo(fh));
          finish();
          if (syncData) await fh.datasync();
        } finally {
          await fh.close();
        }
        await promote(temp, p, true);
      } catch (err) {
        await removeQuietly(temp);
        throw err;
      }
      return { digest: expected, size: counter.bytes };
    },

    async probe() {
      try {
        await mkdir(root, { recursive: true });
        await stat(root);
      } catch (err) {
        throw storageErrors.unavailable(`the blob directory ${root} is not usable: ${(err as Error).message}`, err);
      }
    },

    async delete(digest) {
      const p = checkDigest(digest);
      try {
        await unlink(blobPath(p));
        return true;
      } catch (err) {
        if (isEnoent(err)) return false;
        throw err;
      }
    },

    async *list() {
      // One fan-out directory at a time: memory stays at one directory listing. Only names
      // that form a valid digest are blobs (anything else is not ours to report).
      for (const algorithm of ['sha256', 'sha512'] as const) {
        for (const fan of await readdirOrEmpty(join(root, algorithm))) {
          if (!/^[0-9a-f]{2}$/.test(fan)) continue;
          for (const hex of await readdirOrEmpty(join(root, algorithm, fan))) {
            const digest = `${algorithm}:${hex}` as Digest;
            const p = parseDigest(digest);
            if (!p || p.hex.slice(0, 2) !== fan) continue;
            try {
              const s = await stat(blobPath(p));
              yield { digest, size: s.size, modifiedAt: s.mtime };
            } catch (err) {
              if (!isEnoent(err)) throw err; // deleted while we walked
            }
          }
        }
      }
    },

    uploads,
  };
}
