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
 * - Invalidation: every change that can change a page (a tag, manifest, verdict, repository
 *   or listEnabled attribute written through the store, inside or outside a transaction;
 *   watchTagListChanges below) drops EVERY page of this node after it committed and tells the
 *   other nodes (the `tag-lists` notification: PostgreSQL NOTIFY, or the workers' relay), which
 *   drop theirs when it arrives. A policy change drops them too. A page being built while an
 *   invalidation happens is not stored (the generation check), so a read that started before a
 *   commit can never pin what the commit changed.
 * - Only non-empty pages are cached (an empty one may be "repository unknown" for the caller).
 * - Bounded in bytes (an estimate: names, their serialized copy, per-entry overhead), least
 *   recently used evicted first. Pages made by another gate object (tests swap it) are dropped.
 */
import type { Page } from './registry.ts';

/** Accounting per entry beyond its names: the key, the Map slot, the page objects. */
const ENTRY_OVERHEAD = 160;

export interface TagPageCache {
  /** The generation to hand back to `put`: read it before reading the database. */
  generation(): number;
  get(decider: object, repository: string, key: string): Page<string> | undefined;
  /** Stores the page unless something was invalidated since `generation` (then the page may be stale). */
  put(decider: object, repository: string, key: string, page: Page<string>, generation: number): void;
  /** Forgets every page (a change committed here or on another node). */
  invalidate(): void;
  readonly bytes: number;
  readonly entries: number;
}

export function createTagPageCache(options: { maxBytes?: number } = {}): TagPageCache {
  const maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
  const pages = new Map<string, { page: Page<string>; size: number }>();
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
    generation: () => generation,
    get(decider, repository, key) {
      sameDecider(decider);
      const k = slot(repository, key);
      const hit = pages.get(k);
      if (hit) {
        pages.delete(k);
        pages.set(k, hit);
      }
      return hit?.page;
    },
    put(decider, repository, key, page, at) {
      sameDecider(decider);
      if (at !== generation || page.items.length === 0) return;
      // Each name is held as a string and again in the serialized body (twice its length, plus quotes and a comma).
      const size = ENTRY_OVERHEAD + repository.length + key.length + page.items.reduce((n, name) => n + 3 * name.length + 3, 0);
      if (size > maxBytes / 4) return;
      const k = slot(repository, key);
      const old = pages.get(k);
      if (old) {
        total -= old.size;
        pages.delete(k);
      }
      pages.set(k, { page: Object.freeze({ items: Object.freeze([...page.items]) as string[], more: page.more }), size });
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
