/**
 * Which stored blobs this process has already verified in full, per stored version (check 3 of
 * verified-read.ts, "verify once per version"). Hashing every byte of every large GET cost a
 * third of the main thread on S3 pulls; the bytes of one stored version do not change, so
 * hashing them once per process is enough, as long as a new version is always hashed again.
 *
 * - An entry is (digest, size, version); `version` is what the store says about the very read
 *   that is being served (S3: the GetObject response's ETag and Last-Modified), so an object
 *   replaced behind the registry's back (a new ETag or a new Last-Modified) misses and is
 *   verified again. One entry per digest: the version verified last replaces an older one.
 * - Only a read that went through the running hash to its end with the right digest enters.
 *   A mismatch forgets the digest, so a known version that turns out damaged is not served
 *   unchecked again.
 * - Bounded in bytes (keys and values, plus a fixed cost per Map entry), least recently used
 *   evicted first: a forgotten entry only means one more verifying read.
 */
import type { Digest } from '../oci/index.ts';

export interface VerifiedBlobMemory {
  /** True when this digest's bytes of exactly this size and version were verified before. */
  has(digest: Digest, size: number, version: string): boolean;
  remember(digest: Digest, size: number, version: string): void;
  forget(digest: Digest): void;
  /** Bytes accounted (for tests and the bound). */
  readonly bytes: number;
  readonly entries: number;
}

/** Rough V8 cost of one Map entry with two short one-byte strings, beyond their characters. */
const ENTRY_OVERHEAD = 96;

/** 1 MiB: about 4,500 large blobs with S3 ETags (ETag and date ~70 characters). */
export const DEFAULT_VERIFIED_MEMORY_BYTES = 1024 * 1024;

export function createVerifiedBlobMemory(maxBytes = DEFAULT_VERIFIED_MEMORY_BYTES): VerifiedBlobMemory {
  const entries = new Map<Digest, string>();
  let total = 0;
  const cost = (digest: Digest, value: string) => digest.length + value.length + ENTRY_OVERHEAD;
  const entryValue = (size: number, version: string) => `${size}\n${version}`;

  function forget(digest: Digest) {
    const old = entries.get(digest);
    if (old === undefined) return;
    entries.delete(digest);
    total -= cost(digest, old);
  }

  return {
    has(digest, size, version) {
      const value = entries.get(digest);
      if (value === undefined || value !== entryValue(size, version)) return false;
      entries.delete(digest);
      entries.set(digest, value);
      return true;
    },
    remember(digest, size, version) {
      forget(digest);
      const value = entryValue(size, version);
      const c = cost(digest, value);
      if (c > maxBytes) return;
      entries.set(digest, value);
      total += c;
      for (const [d, v] of entries) {
        if (total <= maxBytes) break;
        entries.delete(d);
        total -= cost(d, v);
      }
    },
    forget,
    get bytes() {
      return total;
    },
    get entries() {
      return entries.size;
    },
  };
}
