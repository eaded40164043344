/**
 * A per-process memo of verdicts for the gate's manifest reads: with the policy on, every
 * manifest GET by a principal without quarantine read asked SQLite for the manifest's verdict
 * (bench/README.md "Auth and gate": one more statement per read). The memo answers it from
 * memory, exactly:
 *
 * - It holds what the database said for (repository, digest), including "no verdict", never a
 *   decision: the policy switch, the caller's grants and the method are judged afresh by the gate
 *   on every read.
 * - Every write that can change a verdict drops the WHOLE memo once it is done (after the call,
 *   or after the transaction ended; services.ts hooks it to the store's write watch), and a read
 *   that started before an invalidation is not stored after it (the generation check), so a
 *   lookup that raced a commit can never pin the verdict the commit replaced.
 * - Only a process alone on its database keeps entries (services.ts: `crossProcess` gets a
 *   zero bound). With other writers (PostgreSQL nodes, workers) a verdict set elsewhere would be
 *   seen only when that node's notification arrived, and in those milliseconds a re-quarantined
 *   image would still be served; those deployments read the row every time, as before (the same
 *   rule as the tags-list pages).
 * - Bounded in bytes (an estimate per entry), least recently used dropped first.
 *
 * It also remembers, per repository, whether it holds a released manifest (the catalog's
 * question for a caller without quarantine read: a repository whose every manifest is held is
 * left out). Same rules: what the database said, dropped by the same invalidation, not stored
 * after a racing write, only in a process alone on its database; its own byte bound, oldest
 * stored dropped first. Why: a catalog page of 1,000 repositories asked the database about all
 * of them on every request, and the gate cost the catalog 86% of its throughput.
 */
import type { Digest } from '../oci/index.ts';
import type { VerdictRecord, VerdictStore } from './verdicts.ts';

/** Accounting per entry beyond its key: the Map slot, the record object and its strings. */
const ENTRY_OVERHEAD = 200;

export interface VerdictCache {
  /** Read it before reading the database; hand it back to `put`. */
  generation(): number;
  /** `null`: known to have no verdict; undefined: not cached. */
  get(repository: string, digest: Digest): VerdictRecord | null | undefined;
  /** Stores what the database answered, unless something was invalidated since `generation`. */
  put(repository: string, digest: Digest, record: VerdictRecord | null, generation: number): void;
  /** Whether `repository` holds a released manifest; undefined: not cached. */
  hasReleased(repository: string): boolean | undefined;
  /** Stores the database's answer for `repository`, unless something was invalidated since `generation`. */
  putHasReleased(repository: string, released: boolean, generation: number): void;
  /** Forgets every entry (a write that can change a verdict is done). */
  invalidate(): void;
  readonly bytes: number;
  readonly entries: number;
}

/**
 * Entries with an estimated size each, at most `maxBytes` in all; the oldest stored (or, with
 * `get(k, true)`, the least recently used) go first. Both memos below are one of these.
 */
function byteBounded<V>(maxBytes: number) {
  const map = new Map<string, { value: V; size: number }>();
  let bytes = 0;
  return {
    get(key: string, touch = false): V | undefined {
      const hit = map.get(key);
      if (hit && touch) {
        map.delete(key);
        map.set(key, hit);
      }
      return hit?.value;
    },
    set(key: string, value: V, size: number) {
      const old = map.get(key);
      if (old) {
        bytes -= old.size;
        map.delete(key);
      }
      map.set(key, { value, size });
      bytes += size;
      for (const [oldest, entry] of map) {
        if (bytes <= maxBytes) break;
        map.delete(oldest);
        bytes -= entry.size;
      }
    },
    clear() {
      map.clear();
      bytes = 0;
    },
    get bytes() {
      return bytes;
    },
    get size() {
      return map.size;
    },
  };
}

export function createVerdictCache(options: { maxBytes?: number } = {}): VerdictCache {
  const maxBytes = options.maxBytes ?? 2 * 1024 * 1024;
  const verdicts = byteBounded<VerdictRecord | null>(maxBytes);
  const released = byteBounded<boolean>(maxBytes);
  let generation = 0;
  const slot = (repository: string, digest: Digest) => `${repository}\0${digest}`;

  return {
    generation: () => generation,
    get: (repository, digest) => verdicts.get(slot(repository, digest), true),
    put(repository, digest, record, at) {
      if (at !== generation || maxBytes <= 0) return;
      const k = slot(repository, digest);
      const size = ENTRY_OVERHEAD + 2 * k.length + (record ? 2 * ((record.details?.length ?? 0) + record.updatedBy.length) : 0);
      if (size > maxBytes / 4) return;
      verdicts.set(k, record ? Object.freeze({ ...record }) : null, size);
    },
    hasReleased: (repository) => released.get(repository),
    putHasReleased(repository, value, at) {
      if (at !== generation || maxBytes <= 0) return;
      released.set(repository, value, ENTRY_OVERHEAD + 2 * repository.length);
    },
    invalidate() {
      generation++;
      verdicts.clear();
      released.clear();
    },
    get bytes() {
      return verdicts.bytes + released.bytes;
    },
    get entries() {
      return verdicts.size;
    },
  };
}

/**
 * `verdicts` whose `get` and `repositoriesWithReleased` are answered from `cache` when they can
 * (the database is asked only about the names not remembered); every other method is the store's.
 */
export function cachedVerdicts(verdicts: VerdictStore, cache: VerdictCache): VerdictStore {
  const cached = Object.create(verdicts) as VerdictStore;
  cached.get = async (repository, digest) => {
    const hit = cache.get(repository, digest);
    if (hit !== undefined) return hit ?? undefined;
    const at = cache.generation();
    const record = await verdicts.get(repository, digest);
    cache.put(repository, digest, record ?? null, at);
    return record;
  };
  cached.repositoriesWithReleased = async (names) => {
    const out = new Set<string>();
    const unknown: string[] = [];
    for (const name of names) {
      const hit = cache.hasReleased(name);
      if (hit === undefined) unknown.push(name);
      else if (hit) out.add(name);
    }
    if (unknown.length === 0) return out;
    const at = cache.generation();
    const found = await verdicts.repositoriesWithReleased(unknown);
    for (const name of unknown) {
      const has = found.has(name);
      cache.putHasReleased(name, has, at);
      if (has) out.add(name);
    }
    return out;
  };
  return cached;
}
