/**
 * THE REGISTRY SERVICE: every API's content operations, for one principal.
 *
 * `registry.as(access)` gives a view for one request's principal (cheap: one object holding
 * the access context; create one per request). Handlers of /v2, /acr/v1, /api/v1 and the
 * portal parse their input, call a view, and render what it returns. They never reach the
 * metadata store's content roles (repositories, manifests, tags, verdicts) nor the gate
 * themselves: the gate is called from this module alone.
 *
 * Inside every operation, in this order:
 * 1. Existence after visibility. For a principal without quarantine read, anything the gate
 *    hides is indistinguishable from something that does not exist: same status, code,
 *    message, detail and headers; a repository in which the caller can see nothing does not
 *    exist for it (NAME_UNKNOWN); cursors are taken only from rows the caller is shown, and a
 *    cursor naming something hidden behaves as one naming something missing; counts, sizes
 *    and times are computed from what the caller may see.
 * 2. The gate (src/quarantine/gate.ts): held content by digest is 403 IMAGE_QUARANTINED with
 *    `Warning: 299`; by tag it looks absent, with the Warning only for principals holding
 *    push on the repository (they may have pushed it and need to know why it is not served).
 * 3. The changeable attributes (readEnabled, listEnabled, writeEnabled, deleteEnabled) of the
 *    repository, manifest and tags involved: OPERATION_DISALLOWED naming the first that is off.
 * 4. The lifecycle: a change and the events it raises (verdicts, outbox) commit in ONE
 *    transaction (`lifecycle` hooks, src/events/manifest-lifecycle.ts).
 *
 * Who sees held METADATA (digests, tags, verdicts of held manifests) without quarantine read:
 * principals with `configure` (Owner, Contributor), in the quarantine queue, preflight and
 * webhook payloads only (`seesHeldMetadata`); nothing else shows it to them.
 *
 * Errors are RegistryErrors (src/errors). "Not found" answers are the registry's
 * NAME_UNKNOWN / MANIFEST_UNKNOWN / BLOB_UNKNOWN, never `undefined`.
 */
import type { Readable } from 'node:stream';
import type { AccessContext } from '../access/actions.ts';
import type { Digest } from '../oci/index.ts';
import type { ParsedManifest } from '../oci/index.ts';
import type { RequestFacts } from '../events/index.ts';
import type { ChainReport, ExportLine } from '../metadata/audit-chain.ts';
import type { AuditEntry, ChangeableAttributes, ManifestHead, ManifestInput, ManifestRecord, RepositoryRecord, TagRecord } from '../metadata/metadata-store.ts';
import type { ManifestVerdictRow, QuarantineState, VerdictRecord } from '../quarantine/verdicts.ts';
import type { VerdictDecision } from '../quarantine/verdict-change.ts';
import type { CoreRoles } from '../metadata/metadata-store.ts';
import type { QuarantineRoles } from '../quarantine/store/index.ts';
import type { ContentSummary } from './summary.ts';
import type { RecycleBinQuery, RecycledView, RestoreResult } from './recycle-bin.ts';
import type { RecycledManifest } from '../lifecycle/recycle-bin/recycle-bin-store.ts';
import type { StoreRoles } from '../persistence/index.ts';

export type { ContentSummary, HeldSummary } from './summary.ts';
export type { ChainBreak, ChainReport, ExportLine } from '../metadata/audit-chain.ts';
export type { RecycleBinQuery, RecycledView, RestoreResult } from './recycle-bin.ts';
export type { RecycledManifest };
export type { AuditEntry, ChangeableAttributes, ManifestHead, ManifestRecord, RepositoryRecord, TagRecord, ManifestVerdictRow, QuarantineState, VerdictRecord };

export type ReadMethod = 'GET' | 'HEAD';
export type ManifestReference = { kind: 'tag'; tag: string } | { kind: 'digest'; digest: Digest };
export type OrderBy = 'none' | 'timeasc' | 'timedesc';

export interface ListPage {
  /** At most this many items (0 gives none). */
  n: number;
  /** The previous page's last item (a name, tag or digest). */
  last?: string;
}

export interface Page<T> {
  items: T[];
  /** True exactly when a visible item follows the page (send a `Link`/`next` naming the last item). */
  more: boolean;
}

/** A manifest read that passed every check; `body` only for GET. */
export interface ManifestRead {
  record: ManifestHead;
  body?: Buffer | Readable;
}

/** A blob read that passed every check: `open` streams it (optionally a byte span). */
export interface BlobRead {
  size: number;
  open(span?: { start: number; end: number }): Promise<Readable>;
  /** A presigned URL of this blob valid for `seconds`, where the driver has them (S3). */
  presignedUrl?(seconds: number): Promise<string>;
}

export interface RepositoryView {
  /** Times are derived from what the caller may see (lastUpdateTime: visible manifests and tags). */
  record: RepositoryRecord;
  manifestCount: number;
  tagCount: number;
}

export interface ManifestView {
  manifest: ManifestRecord;
  tags: string[];
  verdict?: VerdictRecord;
}

export interface TagView {
  tag: TagRecord;
  verdict?: VerdictRecord;
}

export type StateFilter = QuarantineState | 'absent';

export interface QueueQuery {
  states: StateFilter[];
  repository?: string;
  /** Only repositories whose name contains this. */
  repositoryContains?: string;
  /**
   * Of the rows that could wait for a verdict (none yet, Quarantined), only those that do
   * (`waitsForVerdict`: Quarantined, or none where the gate governs the repository now, by the
   * switch or a release policy). Rows of the other asked states (Failed, Passed) stay.
   */
  waiting?: boolean;
  n: number;
  last?: string;
}

export interface QueueRow extends ManifestVerdictRow {
  tags: string[];
  /** Waits for a verdict: Quarantined, or none where the gate governs the repository now. */
  waiting: boolean;
}

export interface PushInput {
  digest: Digest;
  bytes: Buffer;
  manifest: ParsedManifest;
  tags: string[];
}

export interface ManifestPatch {
  attributes: Partial<ChangeableAttributes>;
  verdict: { state?: QuarantineState; details?: string };
  note?: string;
}

/**
 * A transaction of the application's store, as a module types it (with the roles it knows):
 * at least the content core and the verdicts. It must be a transaction of the store this
 * service was built on.
 */
export type VerdictTx = CoreRoles & QuarantineRoles;

/** A verdict change: a new state and/or details (undefined keeps the stored one), an audit note. */
export interface VerdictPatch {
  state?: QuarantineState;
  details?: string;
  note?: string;
  /** What a release policy decided on, recorded in the audit entry (the image's history reads it). */
  decision?: VerdictDecision;
}

export type { VerdictDecision } from '../quarantine/verdict-change.ts';

/** A document to attach to a subject as an OCI referrer (an artifact manifest with one layer). */
export interface ReferrerDocument {
  artifactType: string;
  bytes: Buffer;
  annotations: Record<string, string>;
}

/** A referrer whose bytes are in the blob store and that nothing links to yet (prepareReferrers). */
export interface PreparedReferrer {
  artifactType: string;
  input: ManifestInput;
  /** The config and layer, linked in the repository when recorded. */
  blobs: { digest: Digest; size: number }[];
}

/** What recordReferrersIn records: the scan orchestrator's report and SBOM referrers of `subject`. */
export interface ReferrersRecord {
  subject: ManifestRecord;
  referrers: PreparedReferrer[];
  /** The subject's verdict once the caller's transaction commits (undefined: none, the policy is off). */
  state: QuarantineState | undefined;
  /** The scan job they come from (scan_artifacts). */
  jobId: string;
}

export interface AuditQuery {
  n: number;
  last?: string;
  action?: string;
  targetPrefix?: string;
  actor?: string;
}

export interface HistoryQuery {
  /** At most this many events. */
  n: number;
  /** The previous page's `next` (opaque). */
  cursor?: string;
}

export type HistoryKind =
  | 'pushed' | 'tagged' | 'tag-moved' | 'tag-deleted' | 'deleted' | 'restored' | 'retention'
  | 'scanned' | 'scan-failed' | 'evaluated' | 'verdict' | 'violation' | 'referrer' | 'other';

export type ReferrerScheme = 'cosign' | 'notation' | 'sigstore-bundle' | 'attestation' | 'vex' | 'report' | 'sbom' | 'other';

/** One event of an image's history (history.ts); `source` says whether the audit log or a store told it. */
export interface HistoryEvent {
  /** The audit entry's id (source audit), or a stable id of the store's row. */
  id: string;
  at: Date;
  kind: HistoryKind;
  source: 'audit' | 'store';
  actor?: string;
  summary: string;
  tags?: string[];
  tag?: string;
  /** tag-moved: where the tag went. */
  digest?: string;
  scanner?: string;
  counts?: Record<string, number>;
  verdict?: { from: string | null; to: string };
  policy?: { name: string; version: number };
  decision?: { failed: string[]; pending: string[]; exceptions: string[] };
  /** The exceptions of `decision`, described (callers who see held metadata only). */
  exceptionsUsed?: { id: string; vulnerability: string; reason: string; expiresAt: Date; status: string }[];
  rules?: { rule: string; passed: boolean; pending?: boolean; reason: string }[];
  referrer?: { digest: string; artifactType?: string; scheme: ReferrerScheme; verified: boolean; identity?: string };
}

export interface HistoryPage {
  record: ManifestRecord;
  events: HistoryEvent[];
  next?: string;
}

export interface RegistryView {
  readonly access: AccessContext;

  // Reads (/v2).
  /** GET/HEAD of a manifest by tag or digest. */
  readManifest(repository: string, ref: ManifestReference, method: ReadMethod): Promise<ManifestRead>;
  /** GET/HEAD of a blob linked in the repository. */
  readBlob(repository: string, digest: Digest, method: ReadMethod): Promise<BlobRead>;
  /** The /v2 tags list (lexical). NAME_UNKNOWN when the caller can see nothing in the repository. */
  listTagNames(repository: string, page: ListPage): Promise<Page<string>>;
  /** The catalog (/v2 and /acr/v1): listable repositories in which the caller can see something. */
  listRepositories(page: ListPage): Promise<Page<string>>;
  /** Manifests whose subject is `subject`, that the caller may see. Never throws for unknown names. */
  listReferrers(repository: string, subject: Digest): Promise<ManifestRecord[]>;
  /**
   * For content readers that walk the store themselves (retention's planner): which of these
   * tag and manifest rows the caller may see, by the gate's rule. Nothing else is checked (no
   * attributes, no existence): the rows came from the store a moment ago.
   */
  visibleTagRows<T extends Pick<TagRecord, 'name' | 'digest'>>(repository: string, tags: T[]): Promise<T[]>;
  visibleManifestRows(repository: string, manifests: ManifestRecord[]): Promise<ManifestRecord[]>;
  /**
   * Whether `digest` may be mounted from `from` into `target` (pull on `from`, linked there,
   * bytes present, the gate, readEnabled): returns its size, or undefined for "fall back to an
   * upload session". Does not link.
   */
  mountSource(from: string, digest: Digest): Promise<number | undefined>;
  /** Refuses (OPERATION_DISALLOWED) an upload into a write-locked repository. */
  checkUploadTarget(repository: string): Promise<void>;

  // Writes (/v2).
  /** Records a pushed manifest (bytes stored, references checked, attributes, lifecycle). */
  pushManifest(repository: string, input: PushInput, facts: RequestFacts): Promise<void>;
  /**
   * DELETE /v2 by tag (no event) or by digest (the manifest with its tags; `delete` event). With
   * soft delete on (`recycleBin.days`), a manifest deleted by digest goes to the recycle bin.
   * `formerTags`: tags of this manifest the caller deleted just before (retention deletes a
   * tag before the image it leaves untagged); the bin keeps them with the manifest, so a
   * restore brings them back as if they had been deleted together.
   */
  deleteManifest(repository: string, ref: ManifestReference, facts: RequestFacts, options?: { formerTags?: TagRecord[] }): Promise<void>;
  deleteBlob(repository: string, digest: Digest): Promise<void>;

  // /acr/v1.
  repository(repository: string): Promise<RepositoryView>;
  updateRepository(repository: string, patch: Partial<ChangeableAttributes>): Promise<RepositoryView>;
  /** Deletes the repository; names only the manifests and tags the caller could see. */
  deleteRepository(repository: string, facts: RequestFacts): Promise<{ manifests: Digest[]; tags: string[] }>;
  listTags(repository: string, page: ListPage & { orderBy: OrderBy; digest?: Digest }): Promise<Page<TagView>>;
  tag(repository: string, tag: string): Promise<TagView>;
  updateTag(repository: string, tag: string, patch: Partial<ChangeableAttributes>): Promise<TagView>;
  deleteTag(repository: string, tag: string): Promise<void>;
  listManifests(repository: string, page: ListPage & { orderBy: OrderBy }): Promise<Page<ManifestView>>;
  manifest(repository: string, digest: Digest): Promise<ManifestView>;
  /**
   * Changes a manifest's attributes and/or its verdict: THE verdict path (/acr/v1 PATCH, the
   * management API, the scan orchestrator). Verdict fields need quarantine_write, attributes
   * metadata_write (DENIED otherwise).
   */
  patchManifest(repository: string, digest: Digest, patch: ManifestPatch, facts: RequestFacts): Promise<ManifestView>;
  /**
   * The verdict path for a caller that commits more in the same transaction `tx` (the scan
   * orchestrator: report artifacts, the `scan` event, its job). Needs quarantine write on the
   * manifest's repository; audits and calls the lifecycle exactly as patchManifest does.
   */
  changeVerdictIn(tx: VerdictTx, manifest: ManifestHead, change: VerdictPatch, facts: RequestFacts): Promise<VerdictRecord>;
  /**
   * changeVerdictIn of several manifests of ONE repository (one change each), in `tx`: each
   * audited and given to the lifecycle as alone, the reads and writes batched (a release
   * policy's re-evaluation). Results in the order of `changes`.
   */
  changeVerdictsIn(tx: VerdictTx, changes: readonly { manifest: ManifestHead; change: VerdictPatch }[], facts: RequestFacts): Promise<VerdictRecord[]>;
  /**
   * Writes the bytes of report referrers of `subject` to the blob store, invisible until
   * recorded (follow.ts). Needs quarantine write on the subject's repository.
   */
  prepareReferrers(subject: ManifestRecord, docs: ReferrerDocument[]): Promise<PreparedReferrer[]>;
  /**
   * Records prepared referrers of a subject in the caller's transaction `tx`, with a verdict
   * that follows the subject's from then on (follow.ts), their digests claimed against the
   * garbage collector. MANIFEST_UNKNOWN (nothing written) when the subject is gone. Needs
   * quarantine write on the subject's repository.
   */
  recordReferrersIn(tx: VerdictTx, record: ReferrersRecord): Promise<void>;

  // /api/v1 (quarantine operations and the audit log).
  /** Whether the caller may see held metadata of `repository` (configure, or quarantine read). */
  seesHeldMetadata(repository: string): boolean;
  /** The digest a tag names, for a caller who sees held metadata there; undefined otherwise or when absent. */
  heldMetadataTagDigest(repository: string, tag: string): Promise<Digest | undefined>;
  /**
   * A manual scan request (its route checks configure or quarantine write): the tag resolved
   * (MANIFEST_UNKNOWN when absent), the manifest checked and `queue` run in one transaction.
   */
  requestScan<T>(repository: string, target: { digest: Digest } | { tag: string }, queue: (tx: StoreRoles, digest: Digest) => Promise<T>): Promise<T>;
  queue(query: QueueQuery): Promise<{ rows: QueueRow[]; next?: string }>;
  preflight(query: Omit<QueueQuery, 'states'>): Promise<{ counts: Record<StateFilter, number>; rows: QueueRow[]; next?: string }>;
  /** Raises `quarantine` events again for matching manifests; returns how many. */
  rescan(states: StateFilter[], repository: string | undefined, facts: RequestFacts): Promise<number>;
  /** Marks every manifest without a verdict Passed (each an audited verdict change). */
  grandfather(repository: string | undefined, facts: RequestFacts): Promise<number>;
  /** Audit entries, newest first; verdict entries only where the caller may see held metadata. */
  audit(query: AuditQuery): Promise<{ entries: AuditEntry[]; next?: string }>;
  /** Checks the audit log's hash chain from its first entry (Owner: `admin`; DENIED otherwise). */
  verifyAudit(): Promise<ChainReport>;
  /** The audit log from the first entry at or after `since` (all without it), in chain order, as export lines (Owner). */
  exportAudit(since: Date | undefined): Promise<AsyncIterable<ExportLine>>;
  /**
   * One manifest's history, oldest first (history.ts): the audit log's entries naming it and
   * what the stores add. A held manifest the caller may not see is MANIFEST_UNKNOWN, as a missing one.
   */
  manifestHistory(repository: string, digest: Digest, query: HistoryQuery): Promise<HistoryPage>;
  /** Counts of what the caller may see (summary.ts): repositories, manifests, held by state. */
  summary(): Promise<ContentSummary>;

  // /api/v1 recycle bin (soft delete, recycle-bin.ts): Owner (registry `admin`) only, DENIED otherwise.
  /** Soft-deleted manifests, by repository then digest, with their verdict state. */
  recycleBin(query: RecycleBinQuery): Promise<{ entries: RecycledView[]; next?: string }>;
  /** Brings a binned manifest back with the tags it had that are still free (audited `recycle-bin.restore`). */
  restoreManifest(repository: string, digest: Digest, facts: RequestFacts): Promise<RestoreResult>;
  /** Empties one entry for good: its blobs are released for garbage collection (audited `recycle-bin.purge`). */
  purgeManifest(repository: string, digest: Digest, facts: RequestFacts): Promise<RecycledManifest>;
}

export interface Registry {
  as(access: AccessContext): RegistryView;
}
