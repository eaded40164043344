/**
 * The in-memory BlobStore driver (contract: blob-store.ts), for fast unit tests of code that
 * needs a blob store but not its durability. Not selectable in configuration: everything is lost
 * with the process, and every blob is held in memory whole.
 *
 * `createMemoryBlobStore(backing)` on a shared `MemoryBacking` is a second "process" on the
 * same storage (the conformance suite's reopen): it shares the bytes, not the in-flight state.
 */
import { Readable } from 'node:stream';
import { createDigester, parseDigest, type Digest, type ParsedDigest } from '../oci/index.ts';
import { storageErrors } from './errors.ts';
import type { BlobStore, UploadArea } from './blob-store.ts';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface MemoryUpload {
  chunks: Buffer[];
  size: number;
  updatedAt: number;
  /** Set while an append runs: a second append at the same offset loses (as on other drivers). */
  busy: boolean;
}

export interface MemoryBacking {
  blobs: Map<string, Buffer>;
  /** When each blob was written (ms), for `list`. */
  writtenAt: Map<string, number>;
  uploads: Map<string, MemoryUpload>;
}

export const createMemoryBacking = (): MemoryBacking => ({ blobs: new Map(), writtenAt: new Map(), uploads: new Map() });

async function drain(data: Readable, onChunk: (chunk: Buffer) => void): Promise<void> {
  for await (const chunk of data) onChunk(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
}

export function createMemoryBlobStore(backing: MemoryBacking = createMemoryBacking()): BlobStore {
  const key = (p: ParsedDigest) => `${p.algorithm}:${p.hex}`;
  function checkDigest(digest: string): ParsedDigest {
    const parsed = parseDigest(digest);
    if (!parsed) throw storageErrors.invalidDigest();
    return parsed;
  }
  const upload = (id: string) => (UUID_RE.test(id) ? backing.uploads.get(id) : undefined);

  const uploads: UploadArea = {
    async create(id) {
      if (!UUID_RE.test(id)) throw storageErrors.invalidUploadId();
      if (backing.uploads.has(id)) throw storageErrors.uploadExists();
      backing.uploads.set(id, { chunks: [], size: 0, updatedAt: Date.now(), busy: false });
    },
    async append(id, offset, data) {
      const u = upload(id);
      if (!u) throw storageErrors.uploadNotFound();
      if (u.busy || offset !== u.size) throw storageErrors.outOfOrder(u.size);
      u.busy = true;
      const received: Buffer[] = [];
      try {
        await drain(data, (c) => received.push(c));
      } finally {
        u.busy = false;
      }
      // Only a chunk that arrived whole is kept: a failed one leaves the upload as it was.
      for (const c of received) {
        u.chunks.push(c);
        u.size += c.length;
      }
      u.updatedAt = Date.now();
      return u.size;
    },
    async size(id) {
      return upload(id)?.size;
    },
    async commit(id, expected) {
      const p = checkDigest(expected);
      const u = upload(id);
      if (!u) throw storageErrors.uploadNotFound();
      backing.uploads.delete(id);
      const bytes = Buffer.concat(u.chunks);
      if (createDigester(p.algorithm).update(bytes).digest('hex') !== p.hex) throw storageErrors.digestMismatch();
      backing.blobs.set(key(p), bytes);
      backing.writtenAt.set(key(p), Date.now());
      return { digest: expected, size: bytes.length };
    },
    async abort(id) {
      if (UUID_RE.test(id)) backing.uploads.delete(id);
    },
    async listStale(before) {
      return [...backing.uploads].filter(([, u]) => u.updatedAt < before.getTime()).map(([id]) => id).sort();
    },
  };

  return {
    async stat(digest: Digest) {
      const bytes = backing.blobs.get(key(checkDigest(digest)));
      return bytes && { digest, size: bytes.length };
    },
    async open(digest, range) {
      const bytes = backing.blobs.get(key(checkDigest(digest)));
      if (!bytes) return undefined;
      return Readable.from([range ? bytes.subarray(range.start, range.end + 1) : bytes]);
    },
    async put(expected, data, expectedSize) {
      const p = checkDigest(expected);
      const hash = createDigester(p.algorithm);
      const chunks: Buffer[] = [];
      await drain(data, (c) => {
        hash.update(c);
        chunks.push(c);
      });
      const bytes = Buffer.concat(chunks);
      if (hash.digest('hex') !== p.hex) throw storageErrors.digestMismatch();
      if (expectedSize !== undefined && bytes.length !== expectedSize) throw storageErrors.sizeMismatch();
      if (!backing.blobs.has(key(p))) {
        backing.blobs.set(key(p), bytes);
        backing.writtenAt.set(key(p), Date.now());
      }
      return { digest: expected, size: bytes.length };
    },
    async delete(digest) {
      backing.writtenAt.delete(key(checkDigest(digest)));
      return backing.blobs.delete(key(checkDigest(digest)));
    },
    async *list() {
      for (const [k, bytes] of [...backing.blobs]) {
        yield { digest: k as Digest, size: bytes.length, modifiedAt: new Date(backing.writtenAt.get(k) ?? 0) };
      }
    },
    async probe() {},
    uploads,
  };
}
