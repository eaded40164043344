/**
 * MetadataStore: everything with a name. Repositories, tags, manifest records, blob links,
 * upload sessions, referrers, settings and the audit log: the content core. Other modules keep
 * their own tables beside it in the same database (module-owned persistence, see
 * src/persistence/). Blob BYTES are never here: they are in the BlobStore.
 *
 * Implemented ONCE on Kysely (sql-store.ts) for two dialects: SQLite (better-sqlite3, WAL,
 * the embedded default) and PostgreSQL. Both pass metadata-store-suite.ts.
 *
 * The store is split into role objects. `transaction(fn)` hands `fn` the same role objects
 * bound to one database transaction: a change and the events it raises (outbox) commit
 * together or not at all.
 *
 * Conventions for every role object:
 * - Repository-scoped methods take the repository NAME (already validated by src/oci/name.ts).
 * - Lists are ordered and paged with `{ last, n }`: results strictly after `last`, at most `n`.
 * - Times are Date objects; the store keeps millisecond precision.
 * - "Not found" is `undefined` / `false`, never an exception. Exceptions are for broken
 *   invariants and storage failures.
 */
import type { Digest } from '../oci/index.ts';
import type { ChainedRow } from './audit-chain.ts';

export type { ChainedRow } from './audit-chain.ts';

export interface Page {
  /** Exclusive lower bound (the last item of the previous page). */
  last?: string;
  /** Page size; implementations cap it at 1000, which is also the default. 0 gives []. */
  n?: number;
}

export interface ChangeableAttributes {
  deleteEnabled: boolean;
  writeEnabled: boolean;
  readEnabled: boolean;
  listEnabled: boolean;
}

export interface RepositoryRecord extends ChangeableAttributes {
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface RepositoryStore {
  /** Creates the repository if missing; returns it either way. */
  ensure(name: string): Promise<RepositoryRecord>;
  get(name: string): Promise<RepositoryRecord | undefined>;
  /** Names in lexical order. */
  list(page?: Page): Promise<string[]>;
  /** Names of repositories with listEnabled, in lexical order (the catalog's one statement per page; the gate filters after). */
  listListable(page?: Page): Promise<string[]>;
  /** Counts for /acr/v1 repository attributes. */
  counts(name: string): Promise<{ manifestCount: number; tagCount: number }>;
  updateAttributes(name: string, patch: Partial<ChangeableAttributes>): Promise<RepositoryRecord | undefined>;
  /**
   * Deletes the repository with its tags, manifest records, blob links and upload sessions
   * (blob bytes and upload temp data stay in the BlobStore; garbage collection and the upload
   * janitor decide). Tables of later modules hanging off `repositories` cascade. Returns what was removed, or undefined
   * when the repository did not exist.
   */
  delete(name: string): Promise<{ manifests: Digest[]; tags: string[] } | undefined>;
}

export interface BlobLink {
  digest: Digest;
  size: number;
  createdAt: Date;
}

/** Which blobs a repository holds (uploaded or mounted into it). */
export interface BlobLinkStore {
  /** Links a committed blob to a repository (creating the repository). Idempotent. */
  link(repository: string, digest: Digest, size: number): Promise<void>;
  get(repository: string, digest: Digest): Promise<BlobLink | undefined>;
  unlink(repository: string, digest: Digest): Promise<boolean>;
  /** True when any repository links the digest (garbage-collection input). */
  isLinkedAnywhere(digest: Digest): Promise<boolean>;
}

export interface ManifestInput {
  digest: Digest;
  mediaType: string;
  size: number;
  artifactType?: string;
  /** Digest of the manifest's `subject` (referrers API). */
  subject?: Digest;
  configDigest?: Digest;
  configMediaType?: string;
  /** From the image config, when the manifest is an image. */
  architecture?: string;
  os?: string;
  /** Sum of config + layer sizes (+ the manifest itself), for /acr/v1 imageSize. */
  imageSize: number;
  /** Blobs the manifest references (config and layers; for indexes none). */
  blobs: Digest[];
  /** Child manifests (for indexes), with their platform when declared. */
  children: { digest: Digest; architecture?: string; os?: string }[];
  /** Annotations of the manifest (returned in referrer descriptors). */
  annotations?: Record<string, string>;
}

export interface ManifestRecord extends ManifestInput, ChangeableAttributes {
  repository: string;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A manifest's row without its reference lists (`blobs`, `children`): what a read needs to
 * decide and answer (media type, size, attributes). One statement instead of three.
 */
export type ManifestHead = Omit<ManifestRecord, 'blobs' | 'children'>;

export interface ManifestListOptions extends Page {
  orderBy?: 'none' | 'timeasc' | 'timedesc';
}

export interface ManifestStore {
  /**
   * Records a manifest in a repository. Re-pushing an existing digest keeps its createdAt
   * and its changeable attributes, refreshes updatedAt. Returns `created: true` when new.
   */
  put(repository: string, manifest: ManifestInput): Promise<{ created: boolean; record: ManifestRecord }>;
  get(repository: string, digest: Digest): Promise<ManifestRecord | undefined>;
  /** As `get` without the reference lists (one row; the pull path's lookup). */
  getHead(repository: string, digest: Digest): Promise<ManifestHead | undefined>;
  /** As `getHead` for several digests of one repository, in one statement per 500 (missing ones are absent). */
  getHeads(repository: string, digests: readonly Digest[]): Promise<Map<Digest, ManifestHead>>;
  /**
   * Default order: by digest (byte-wise). `timeasc`/`timedesc` order by updatedAt (ACR's
   * lastUpdateTime), ties by digest. `last` is always the previous page's last digest; for a
   * time order, a `last` that no longer exists gives an empty page.
   */
  list(repository: string, options?: ManifestListOptions): Promise<ManifestRecord[]>;
  /** Removes the manifest and every tag pointing to it. Returns the removed tags, or undefined when absent. */
  delete(repository: string, digest: Digest): Promise<{ tags: string[] } | undefined>;
  updateAttributes(repository: string, digest: Digest, patch: Partial<ChangeableAttributes>): Promise<ManifestRecord | undefined>;
  /** Manifests in the repository whose `subject` is `subject`, optionally filtered by artifactType. */
  referrers(repository: string, subject: Digest, artifactType?: string): Promise<ManifestRecord[]>;
  /** `referrers` of several subjects at once (a re-evaluation page): subjects without referrers are absent. */
  referrersOfMany(repository: string, subjects: readonly Digest[]): Promise<Map<Digest, ManifestRecord[]>>;
  /** Digests of manifests in the repository that reference `blob` (config or layer). */
  referencingBlob(repository: string, blob: Digest): Promise<Digest[]>;
  /** Digests of index manifests in the repository that list `child`. */
  parentsOf(repository: string, child: Digest): Promise<Digest[]>;
}

export interface TagRecord extends ChangeableAttributes {
  repository: string;
  name: string;
  digest: Digest;
  createdAt: Date;
  updatedAt: Date;
}

export interface TagListOptions extends Page {
  orderBy?: 'none' | 'timeasc' | 'timedesc';
  /** Only tags pointing at this digest. */
  digest?: Digest;
}

export interface ListableTag {
  name: string;
  digest: Digest;
}

export interface TagStore {
  /** Points a tag at a digest (creating or moving it). Returns the previous digest, if any. */
  put(repository: string, tag: string, digest: Digest): Promise<{ previous?: Digest }>;
  get(repository: string, tag: string): Promise<TagRecord | undefined>;
  /** Default order: lexical (byte-wise) by name; time orders as for manifests, `last` a tag name. */
  list(repository: string, options?: TagListOptions): Promise<TagRecord[]>;
  /**
   * The /v2 tags list's page in one statement: names and digests of the tags whose tag AND
   * manifest have listEnabled, lexical (byte-wise) by name, after `last`, at most `n`. The
   * gate's filtering is the caller's (Gate.visibleTags).
   */
  listListable(repository: string, options?: Page): Promise<ListableTag[]>;
  /**
   * The names of the tags pointing at each of `digests`, lexical, in one statement (a listing
   * page's manifests with their tags). A digest without tags is absent from the map. Like
   * `list`, at most a page (1,000) of names per digest, and at most a page per digest in all.
   */
  namesOf(repository: string, digests: readonly Digest[]): Promise<Map<Digest, string[]>>;
  /** The tags of `names` that exist, by name, in one statement per 500 names. */
  getMany(repository: string, names: readonly string[]): Promise<Map<string, TagRecord>>;
  delete(repository: string, tag: string): Promise<boolean>;
  updateAttributes(repository: string, tag: string, patch: Partial<ChangeableAttributes>): Promise<TagRecord | undefined>;
}

export interface UploadRecord {
  id: string;
  repository: string;
  /** Bytes received so far (mirrors the BlobStore upload size; the BlobStore is authoritative). */
  size: number;
  createdAt: Date;
  updatedAt: Date;
}

/** Bounds on open upload sessions checked when one is opened (UploadStore.open). */
export interface UploadLimits {
  /** The principal opening it (its id). */
  openedBy: string;
  maxPerPrincipal: number;
  maxPerRepository: number;
}

export interface UploadStore {
  create(id: string, repository: string): Promise<UploadRecord>;
  /**
   * Opens a session unless `openedBy` already has `maxPerPrincipal` open, or the repository
   * `maxPerRepository`. Exact under concurrency, across nodes too: concurrent opens never
   * overshoot a bound (PostgreSQL serialises them per principal and per repository).
   * Returns the record, or which bound refused.
   */
  open(id: string, repository: string, limits: UploadLimits): Promise<UploadRecord | { refused: 'principal' | 'repository' }>;
  get(id: string): Promise<UploadRecord | undefined>;
  touch(id: string, size: number): Promise<void>;
  delete(id: string): Promise<boolean>;
  /** Sessions not touched since `before`. */
  listStale(before: Date): Promise<UploadRecord[]>;
}

/**
 * A counter per repository that moves with every change that can alter its /v2 tags list (a
 * tag, a manifest, a verdict, listEnabled, the repository deleted), raised in the change's own
 * transaction (src/registry/tag-list-changes.ts). Nodes that cache tags-list pages read it to
 * tell whether a page is still exact (src/registry/tag-pages.ts). It only ever grows, also
 * across a repository's deletion and re-creation.
 */
export interface TagListGenerationStore {
  /** The current generation; 0 for a repository never changed since migration 017. */
  get(repository: string): Promise<number>;
  /** Raises the generation of each repository by one (call in lexical order inside a transaction: row locks are then taken in one order). */
  bump(repositories: readonly string[]): Promise<void>;
}

/**
 * Registry-wide settings (the quarantine policy, anonymous pull, ...) as small JSON values
 * under well-known keys. Unknown keys read as undefined.
 */
export interface SettingsStore {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
}

export interface AuditEntry {
  id: string;
  at: Date;
  /** Principal name (or `system`). */
  actor: string;
  /** Dotted verb, e.g. `verdict.change`, `policy.change`, `user.create`. */
  action: string;
  /** What was acted on, e.g. `helloworld@sha256:...`, `user:alice`, `policy:quarantine`. */
  target: string;
  before?: unknown;
  after?: unknown;
  details?: unknown;
  requestId?: string;
  /** The entry's place in the hash chain (src/metadata/audit-chain.ts): 1, 2, ... */
  seq: number;
  /** The previous entry's hash (GENESIS_HASH for the first). */
  prevHash: string;
  hash: string;
}

/** What a caller gives to append: the chain fields are the store's to assign. */
export type AuditInput = Omit<AuditEntry, 'id' | 'at' | 'seq' | 'prevHash' | 'hash'> & { at?: Date };

export interface AuditListOptions extends Page {
  /** `last` is an entry id; entries come newest first. */
  action?: string;
  /** Prefix match on target (e.g. `helloworld@sha256:abc`). */
  targetPrefix?: string;
  /** Exact target (indexed: one image's entries, `helloworld@sha256:...`). */
  target?: string;
  actor?: string;
}

/**
 * Append-only log of security-relevant changes. Entries are never updated or deleted, and
 * each carries the hash of the one before (src/metadata/audit-chain.ts). Appends are
 * serialized so the chain never forks: SQLite's write lock (every transaction begins
 * immediate), and on PostgreSQL a transaction-scoped advisory lock per schema, held from the
 * append to the commit of the transaction it is part of.
 */
export interface AuditStore {
  append(entry: AuditInput): Promise<AuditEntry>;
  /** Appends several entries in this order, chained one after the other, under one lock and one read of the chain's head. */
  appendMany(entries: readonly AuditInput[]): Promise<AuditEntry[]>;
  list(options?: AuditListOptions): Promise<AuditEntry[]>;
  /** Chained entries with `seq` > `afterSeq`, in seq order, as they are hashed (at most `n`, <= 1000). */
  chain(options: { afterSeq: number; n?: number }): Promise<ChainedRow[]>;
  /** The seq of the first entry (in seq order) written at or after `at`; undefined if none. */
  firstSeqSince(at: Date): Promise<number | undefined>;
  /** The id of an entry outside the chain (no seq: written around the store), if any. */
  firstUnchained(): Promise<string | undefined>;
}

/**
 * The content core's role objects, which metadata owns. Other modules own theirs (identities:
 * src/auth/store/, verdicts: src/quarantine/store/, webhooks/outbox/held pushes:
 * src/events/store/) and src/persistence/ joins them into the store the application opens.
 */
export interface CoreRoles {
  repositories: RepositoryStore;
  blobs: BlobLinkStore;
  manifests: ManifestStore;
  tags: TagStore;
  uploads: UploadStore;
  settings: SettingsStore;
  audit: AuditStore;
  tagListGenerations: TagListGenerationStore;
}

/**
 * A store of role objects `R` (the core's plus those of the modules joined in) with
 * transactions. src/persistence/ names the application's one: `MetadataStore`.
 */
export type TransactionalStore<R extends CoreRoles = CoreRoles> = R & {
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * Runs `fn` in one transaction; rolls back if it throws. Nested calls are not supported.
   * Inside `fn` use only the `tx` roles: on SQLite the top-level roles wait for the transaction's
   * connection, so calling them from `fn` deadlocks.
   */
  transaction<T>(fn: (tx: R) => Promise<T>): Promise<T>;
  close(): Promise<void>;
};
