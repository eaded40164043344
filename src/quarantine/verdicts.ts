/**
 * Verdicts: the quarantine state of a manifest, per (repository, manifest digest).
 *
 * A verdict is absent until the policy assigns `Quarantined` at push time or a quarantine
 * writer sets one. Verdicts are keyed by CONTENT (the digest), not by the manifest row, so they
 * are sticky: pushing the same digest again, tagging it anew, or deleting and re-pushing it
 * keeps the verdict (docs/quarantine.md "Decision: verdicts survive deletes"). Lists only ever
 * show verdicts of manifests that exist.
 *
 * The store role object lives at `store.verdicts` / `tx.verdicts`
 * (src/quarantine/store/sql/verdicts.ts). Conventions are those of metadata-store.ts.
 */
import type { Digest } from '../oci/index.ts';

export const QUARANTINE_STATES = ['Quarantined', 'Passed', 'Failed'] as const;
export type QuarantineState = (typeof QUARANTINE_STATES)[number];

export const isQuarantineState = (v: unknown): v is QuarantineState =>
  typeof v === 'string' && (QUARANTINE_STATES as readonly string[]).includes(v);

export interface VerdictRecord {
  repository: string;
  digest: Digest;
  state: QuarantineState;
  /** The quarantineDetails string exactly as it was sent (JSON text), or undefined. */
  details?: string;
  updatedAt: Date;
  /** Principal name that set it, or `system` for push-time assignment and bulk operations. */
  updatedBy: string;
}

export interface VerdictInput {
  repository: string;
  digest: Digest;
  state: QuarantineState;
  /** undefined keeps the stored details; null clears them. */
  details?: string | null;
  updatedBy: string;
  at?: Date;
}

/** An existing manifest joined with its verdict (absent verdict: `state` undefined). */
export interface ManifestVerdictRow {
  repository: string;
  digest: Digest;
  mediaType: string;
  size: number;
  createdAt: Date;
  state?: QuarantineState;
  details?: string;
  updatedAt?: Date;
  updatedBy?: string;
}

export interface VerdictListOptions {
  repository?: string;
  /** Only repositories whose name contains this (names are lower case; LIKE wildcards are escaped). */
  repositoryContains?: string;
  /** `absent` selects manifests without a verdict. */
  states?: (QuarantineState | 'absent')[];
  /** Oldest manifest first (createdAt, then repository, then digest). Cursor: an opaque string from `next`. */
  last?: string;
  n?: number;
}

export interface VerdictStore {
  get(repository: string, digest: Digest): Promise<VerdictRecord | undefined>;
  /** Verdicts of several digests of one repository (missing digests are simply absent from the map). */
  getMany(repository: string, digests: Digest[]): Promise<Map<Digest, VerdictRecord>>;
  /** Creates or replaces the verdict; returns the stored record and the one it replaced. */
  set(input: VerdictInput): Promise<{ record: VerdictRecord; previous?: VerdictRecord }>;
  /** `set` of several verdicts of one repository (at most one input per digest): one read, one upsert per 200; results in input order. */
  setMany(repository: string, inputs: readonly Omit<VerdictInput, 'repository'>[]): Promise<{ record: VerdictRecord; previous?: VerdictRecord }[]>;
  /**
   * Existing manifests with their verdicts, filtered, oldest first. Returns the rows and the
   * cursor for the next page (undefined on the last page).
   */
  listManifests(options?: VerdictListOptions): Promise<{ rows: ManifestVerdictRow[]; next?: string }>;
  /**
   * Whether a manifest of `repository` whose verdict is Passed references `blob` (config or
   * layer). One query: the gate's fast path for blob reads.
   */
  blobReleased(repository: string, blob: Digest): Promise<boolean>;
  /** Of `names`, the repositories holding at least one existing manifest whose verdict is Passed. */
  repositoriesWithReleased(names: string[]): Promise<Set<string>>;
  /** Manifests and tags of `repository` whose verdict is Passed (what a caller without quarantine read may count). */
  releasedCounts(repository: string): Promise<{ manifestCount: number; tagCount: number }>;
  /** Counts of existing manifests by verdict (absent included), registry-wide. */
  counts(): Promise<Record<QuarantineState | 'absent', number>>;
  /**
   * Counts of existing manifests by repository and verdict (absent included), one row per pair
   * that occurs: the summary endpoint filters them by what its caller may see.
   */
  countsByRepository(): Promise<{ repository: string; state: QuarantineState | 'absent'; count: number }[]>;
  /**
   * Records that `digest`'s verdict follows `subject`'s (a signature or attestation,
   * src/registry/follow.ts); idempotent, the first subject recorded stays (content names its
   * subject, so it cannot change).
   */
  follow(repository: string, digest: Digest, subject: Digest): Promise<void>;
  /** The recorded followers of `subject` in `repository` whose manifest exists. */
  followersOf(repository: string, subject: Digest): Promise<Digest[]>;
  /** `followersOf` several subjects at once (a re-evaluation's batch); a subject without any is absent. */
  followersOfMany(repository: string, subjects: readonly Digest[]): Promise<Map<Digest, Digest[]>>;
  /** Of `digests`, the recorded followers, each with the subject it follows. */
  followed(repository: string, digests: Digest[]): Promise<Map<Digest, Digest>>;
}
