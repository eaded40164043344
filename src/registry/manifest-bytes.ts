/**
 * A small in-memory cache of manifest BYTES by digest, so a hot manifest GET does not open,
 * fstat, read and close a file (four thread-pool round trips for ~1 KiB) on every request.
 *
 * - No invalidation is needed: the key is the content's digest, and the bytes of a digest
 *   never change. Whether a manifest exists, is readable and may be seen (the gate, the
 *   readEnabled attributes) is decided from the metadata on every request BEFORE this cache
 *   is consulted; the cache only replaces the file read.
 * - Bytes enter only after their digest was recomputed and matched, and their length equals
 *   the recorded size, so a damaged file is never pinned in memory.
 * - Bounded: entries over `maxEntryBytes` are never cached (served from the file as before),
 *   and the total stays under `maxBytes` (least recently used evicted first).
 */
import type { Readable } from 'node:stream';
import { createDigester, parseDigest, type Digest } from '../oci/index.ts';

export interface ManifestBytesCache {
  get(digest: Digest): Buffer | undefined;
  /** Reads a manifest of `size` bytes from `stream`; caches it when it verifies. Undefined when it does not. */
  fill(digest: Digest, size: number, stream: Readable): Promise<Buffer | undefined>;
  /** Whether a manifest of this size would be cached. */
  accepts(size: number): boolean;
  readonly bytes: number;
}

export function createManifestBytesCache(options: { maxBytes?: number; maxEntryBytes?: number } = {}): ManifestBytesCache {
  const maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  const maxEntryBytes = Math.min(options.maxEntryBytes ?? 256 * 1024, maxBytes);
  const entries = new Map<Digest, Buffer>();
  let total = 0;

  return {
    get(digest) {
      const b = entries.get(digest);
      if (b) {
        entries.delete(digest);
        entries.set(digest, b);
      }
      return b;
    },
    accepts: (size) => size > 0 && size <= maxEntryBytes,
    async fill(digest, size, stream) {
      const parsed = parseDigest(digest);
      if (!parsed || size > maxEntryBytes) {
        stream.destroy();
        return undefined;
      }
      const chunks: Buffer[] = [];
      let length = 0;
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        length += chunk.length;
        if (length > size) {
          stream.destroy();
          return undefined;
        }
        chunks.push(chunk);
      }
      const bytes = Buffer.concat(chunks, length);
      if (length !== size) return undefined;
      const hasher = createDigester(parsed.algorithm);
      hasher.update(bytes);
      if (hasher.digest('hex') !== parsed.hex) return undefined;
      if (!entries.has(digest)) {
        entries.set(digest, bytes);
        total += bytes.length;
        for (const [d, b] of entries) {
          if (total <= maxBytes) break;
          entries.delete(d);
          total -= b.length;
        }
      }
      return bytes;
    },
    get bytes() {
      return total;
    },
  };
}
