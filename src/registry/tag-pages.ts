/**
 * Cached /v2 tags-list pages: a page of 1,000 tag names costs SQLite ~1,000 rows turned into
 * JavaScript objects and the gate's verdict lookup for them (bench/README.md "Lists"), and the
 * same page is asked again and again by CI systems polling a repository.
 *
 * - Key: repository, `n`, `last`, and the caller's VISIBILITY CLASS, never the caller: `all`
 *   when held content is shown to it (the policy does not gate the repository, or it has
 *   quarantine read), `released` otherwise. Those are the only two answers the gate can give
 *   a tags list (Gate.visibleTags), so a page made for one principal is exactly the page any
 *   principal of the same class gets, and a held tag never reaches the `released` class.
 *   Within a class a page depends only on tags, manifests, verdicts and attributes, not on
 *   the policy, which decides the class (through the policy cache, exact across nodes).
 * - Invalidation in this process: every change that can change a page (a tag, manifest,
 *   verdict, repository or listEnabled attribute written through the store, inside or outside
 *   a transaction; watchTagListChanges) drops EVERY page of this node after it committed and
 *   tells the other nodes (the `tag-lists` notification), which drop theirs when it arrives. A
 *   policy change drops them too. A page being built while an invalidation happens is not
 *   stored (the local generation), so a read that started before a commit can never pin what
 *   the commit changed.
 * - Across processes (`shared`: PostgreSQL nodes, workers) the notification arrives
 *   milliseconds after the commit, and a page served in between could list a tag another node
 *   has just re-quarantined. So each page also carries its repository's SHARED generation (the
 *   TagListGenerationStore counter, raised in the transaction of every such change), read
 *   before the rows it was made from, and a hit is served only while that counter has not
 *   moved: one primary-key read. A change committed before the read is in the rows; one after
 *   it moves the counter past the page's. A miss reads the counter too, for the page it builds.
 * - Only non-empty pages are cached (an empty one may be "repository unknown" for the caller).
 * - Bounded in bytes (an estimate: names, their serialized copy, per-entry overhead), least
 *   recently used evicted first. Pages made by another gate object (tests swap it) are dropped.
 */
import type { Page } from './registry.ts';

/** Accounting per entry beyond its names: the key, the Map slot, the page objects. */
const ENTRY_OVERHEAD = 160;

/** Where a page comes from: read before the database, handed back to `put`. */
export interface PageStamp {
  /** This process's invalidation count. */
  readonly local: number;
  /** The repository's shared generation (only with `shared`). */
  readonly shared?: number;
}

export type Lookup = { page: Page<string> } | { stamp: PageStamp };

export interface TagPageCache {
  /** A cached page still exact, or the stamp to build one with (call before reading the database). */
  lookup(decider: object, repository: string, key: string): Promise<Lookup>;
  /** Stores the page unless something was invalidated here since `stamp` (then the page may be stale). */
  put(decider: object, repository: string, key: string, page: Page<string>, stamp: PageStamp): void;
  /** Forgets every page (a change committed here or on another node). */
  invalidate(): void;
  readonly bytes: number;
  readonly entries: number;
}

export interface TagPageCacheOptions {
  maxBytes?: number;
  /**
   * Other processes change the database (PostgreSQL nodes, workers): a repository's shared
   * generation (TagListGenerationStore.get), read on every lookup. Without it, only this
   * process's invalidations count, which is exact for a process alone on its database.
   */
  shared?: (repository: string) => Promise<number>;
}

export function createTagPageCache(options: TagPageCacheOptions = {}): TagPageCache {
  const maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
  const { shared } = options;
  const pages = new Map<string, { page: Page<string>; size: number; shared: number | undefined }>();
  let total = 0;
  let generation = 0;
  let filledBy: object | undefined;

  const invalidate = () => {
    generation++;
    pages.clear();
    total = 0;
  };
  const slot = (repository: string, key: string) => `${repository}\0${key}`;
  const sameDecider = (decider: object) => {
    if (filledBy !== decider) {
      if (filledBy !== undefined) invalidate();
      filledBy = decider;
    }
  };

  return {
    async lookup(decider, repository, key) {
      sameDecider(decider);
      const local = generation;
      const k = slot(repository, key);
      const hit = pages.get(k);
      if (!shared) {
        if (!hit) return { stamp: { local } };
        pages.delete(k);
        pages.set(k, hit);
        return { page: hit.page };
      }
      const current = await shared(repository);
      if (hit && pages.get(k) === hit) {
        if (hit.shared === current) {
          pages.delete(k);
          pages.set(k, hit);
          return { page: hit.page };
        }
        // Another node changed the repository and its notification has not arrived yet.
        pages.delete(k);
        total -= hit.size;
      }
      return { stamp: { local, shared: current } };
    },
    put(decider, repository, key, page, stamp) {
      sameDecider(decider);
      if (stamp.local !== generation || page.items.length === 0) return;
      // Each name is held as a string and again in the serialized body (twice its length, plus quotes and a comma).
      const size = ENTRY_OVERHEAD + repository.length + key.length + page.items.reduce((n, name) => n + 3 * name.length + 3, 0);
      if (size > maxBytes / 4) return;
      const k = slot(repository, key);
      const old = pages.get(k);
      if (old) {
        total -= old.size;
        pages.delete(k);
      }
      pages.set(k, { page: Object.freeze({ items: Object.freeze([...page.items]) as string[], more: page.more }), size, shared: stamp.shared });
      total += size;
      for (const [oldest, entry] of pages) {
        if (total <= maxBytes) break;
        pages.delete(oldest);
        total -= entry.size;
      }
    },
    invalidate,
    get bytes() {
      return total;
    },
    get entries() {
      return pages.size;
    },
  };
}
