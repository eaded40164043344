import type { CoreTables } from '../../metadata/tables/index.ts';

/**
 * The storage-lifecycle module's tables (migrations: migrations/009-lifecycle.ts, 011-pull-times.ts,
 * 012-recycle-bin.ts and 013-repository-usage.ts; why each exists: docs/storage-lifecycle.md).
 */

/** A blob the collector decided to delete; kept after the deletion as "these bytes may be gone". */
export interface GcTombstonesTable {
  digest: string;
  size: number;
  marked_at: number;
  /** Set when the collector deleted the bytes (the row stays a while: see the claim protocol). */
  deleted_at: number | null;
}

/**
 * What happened to a blob link that no manifest references (rows only for links that need
 * one): `released` (its last manifest in the repository was deleted, or the repository or
 * link went) at `at`; `pending` (linked again after a release) since `at`.
 */
export interface GcLinkStatesTable {
  repository: string;
  digest: string;
  state: 'released' | 'pending';
  at: number;
}

/** One collector run (what /api/v1/gc and /api/v1/status report). */
export interface GcRunsTable {
  id: string;
  started_at: number;
  finished_at: number | null;
  status: 'running' | 'done' | 'failed';
  dry_run: number;
  grace_ms: number;
  /** JSON of the run's GcSummary. */
  summary: string | null;
  error: string | null;
}

/** When a manifest was last pulled (migration 011-pull-times; written in batches, not per pull). */
export interface PullTimesTable {
  repository: string;
  digest: string;
  pulled_at: number;
}

/** A soft-deleted manifest (migration 012-recycle-bin). */
export interface RecycleBinTable {
  repository: string;
  digest: string;
  deleted_at: number;
  expires_at: number;
  /** Principal name that deleted it (`retention` for retention deletions). */
  deleted_by: string;
  media_type: string;
  size: number;
  /** JSON of the manifest record (RecycledManifest['record']). */
  record: string;
  /** JSON of the tags it had (RecycledManifest['tags']). */
  tags: string;
}

/** What a bin entry references: its own digest, config, layers and children. */
export interface RecycleBinRefsTable {
  repository: string;
  ref: string;
  manifest: string;
}

/**
 * A repository's usage in bytes (migration 013-repository-usage): kept by triggers on blob_links
 * and manifests, equal to the counting rule of usage-count.ts; a recount rewrites it.
 */
export interface RepositoryUsageTable {
  repository: string;
  bytes: number;
}

export interface LifecycleTables {
  repository_usage: RepositoryUsageTable;
  pull_times: PullTimesTable;
  gc_tombstones: GcTombstonesTable;
  gc_link_states: GcLinkStatesTable;
  gc_runs: GcRunsTable;
  recycle_bin: RecycleBinTable;
  recycle_bin_refs: RecycleBinRefsTable;
}

export interface LifecycleDatabase extends CoreTables, LifecycleTables {}
