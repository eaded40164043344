/**
 * GcStore: what garbage collection keeps in the metadata database, and the questions it asks
 * of the core's reference tables (contract; SQL: ../store/gc-sql.ts; conformance section:
 * ../store/suite.ts). Why each piece exists: docs/storage-lifecycle.md.
 *
 * Two halves:
 * - The CLAIM side, called inside the transaction of every change that creates a reference to
 *   a digest (blob link, manifest push, mount): `lock` first, then `tombstoned` (bytes the
 *   collector may have deleted), `forgetTombstone`, `relinked`. And the RELEASE side, in the
 *   transaction of every change that drops one (manifest, blob link or repository deleted).
 * - The COLLECTOR side: dangling links, unreferenced digests, tombstones, runs.
 *
 * A "reference" to a digest is any of: a blob link (any repository), a manifest's config or
 * layer (`manifest_blobs`), a manifest record with that digest (its own bytes), an index's child,
 * or anything a soft-deleted manifest in the recycle bin references (`recycle_bin_refs`; for a
 * link, in its repository).
 */
import type { Digest } from '../../oci/index.ts';

export interface DanglingLink {
  repository: string;
  digest: Digest;
  size: number;
}

/** Epoch milliseconds: what counts as old enough. */
export interface GcCutoffs {
  /** A released link, or released bytes, is collectable when released at or before this (now - grace). */
  released: number;
  /**
   * A link never referenced by a manifest (a push in progress, or abandoned), or bytes with no
   * row at all, is collectable when made at or before this (now - max(grace, in-flight window)),
   * and a link only when its repository has no upload session open.
   */
  unreferenced: number;
}

export interface TombstoneRecord {
  digest: Digest;
  size: number;
  markedAt: Date;
  deletedAt?: Date;
}

export interface GcRunRecord {
  id: string;
  startedAt: Date;
  finishedAt?: Date;
  status: 'running' | 'done' | 'failed';
  dryRun: boolean;
  gracePeriodMs: number;
  summary?: unknown;
  error?: string;
}

export interface GcStore {
  /**
   * Serialises this transaction against every other one that locked any of these digests,
   * on every node (PostgreSQL: transaction-scoped advisory locks, taken in one fixed order so
   * two lockers never deadlock; SQLite: one writer per database already, nothing to take).
   * Call first in the transaction; the locks go with its end.
   */
  lock(digests: readonly Digest[]): Promise<void>;
  /** Which of the digests the collector has tombstoned (their bytes may be gone or going). */
  tombstoned(digests: readonly Digest[]): Promise<Digest[]>;
  forgetTombstone(digest: Digest): Promise<void>;
  /** An existing link was made again (a new push): it is pending (in flight) from now on, released or not. */
  relinked(repository: string, digest: Digest): Promise<void>;
  /** References in `repository` to these digests went away now (manifest deleted, link removed). */
  released(repository: string, digests: readonly Digest[]): Promise<void>;
  /** Everything `repository` links or its manifests reference is released now (before it is deleted). */
  releaseRepository(repository: string): Promise<void>;

  /**
   * Blob links no manifest of their repository references and `cutoffs` make collectable,
   * ordered by (repository, digest), strictly after `after`, at most `limit`; `only` restricts
   * the question to one link, `among` to at most 500 links (the re-check of a page under lock,
   * in one statement).
   */
  danglingLinks(options: { cutoffs: GcCutoffs; limit: number; after?: readonly [string, string]; only?: { repository: string; digest: Digest }; among?: readonly { repository: string; digest: Digest }[] }): Promise<DanglingLink[]>;
  /** Removes a link and its state row. */
  removeLink(repository: string, digest: Digest): Promise<void>;
  /**
   * The digests among these that nothing references (see the top of this file). At most 500.
   * `ignoreLinks`: blob links do not count (a dry run asking what removing links would free).
   */
  unreferenced(digests: readonly Digest[], options?: { ignoreLinks?: boolean }): Promise<Set<Digest>>;
  /** How many repositories link each of these digests (absent: none). At most 500. */
  linkCounts(digests: readonly Digest[]): Promise<Map<Digest, number>>;
  /** How many tombstones await deletion of their bytes (progress). */
  countPendingTombstones(): Promise<number>;
  /** The latest release time of each digest that has one. At most 500. */
  releasedAt(digests: readonly Digest[]): Promise<Map<Digest, number>>;
  /** Drops release rows of these digests that no link needs any more (the bytes are gone or referenced again). */
  forgetReleases(digests: readonly Digest[]): Promise<void>;
  /** Records the collector's decision (no-op for a digest already tombstoned). */
  tombstone(blobs: readonly { digest: Digest; size: number }[]): Promise<void>;
  /** Tombstones whose bytes are not deleted yet, by digest, strictly after `after`. */
  pendingTombstones(limit: number, after?: Digest): Promise<TombstoneRecord[]>;
  getTombstone(digest: Digest): Promise<TombstoneRecord | undefined>;
  markDeleted(digest: Digest): Promise<void>;
  /** Removes tombstones of bytes deleted before `before`; returns how many. */
  pruneTombstones(before: Date): Promise<number>;

  /** Records a new run (under the collector lock: runs still marked running are marked failed, interrupted). */
  startRun(run: { id: string; dryRun: boolean; gracePeriodMs: number }): Promise<void>;
  /** Records a running run's progress (so any node can report it). */
  progressRun(id: string, summary: unknown): Promise<void>;
  finishRun(id: string, outcome: { status: 'done' | 'failed'; summary?: unknown; error?: string }): Promise<void>;
  /** Newest first. */
  runs(n: number): Promise<GcRunRecord[]>;
  /**
   * Runs `fn` only if no other collector holds the registry-wide collector lock (PostgreSQL:
   * a session advisory lock per schema, so every node sharing the database agrees; SQLite:
   * one process, always granted). `{ ran: false }` when another collector holds it.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }>;
}
