/**
 * Table types of the core registry tables (migration 001-core). Columns are snake_case as in
 * the database; role objects in ../sql/ map rows to the camelCase records of the contract.
 * Times are milliseconds since the epoch, booleans 0/1, JSON values text (docs/development.md).
 */

/** The four ACR changeable attributes, stored on repositories, manifests and tags. */
export interface AttributeColumns {
  delete_enabled: number;
  write_enabled: number;
  read_enabled: number;
  list_enabled: number;
}

export interface RepositoriesTable extends AttributeColumns {
  name: string;
  created_at: number;
  updated_at: number;
}

export interface BlobLinksTable {
  repository: string;
  digest: string;
  size: number;
  created_at: number;
}

export interface ManifestsTable extends AttributeColumns {
  repository: string;
  digest: string;
  media_type: string;
  size: number;
  artifact_type: string | null;
  subject: string | null;
  config_digest: string | null;
  config_media_type: string | null;
  architecture: string | null;
  os: string | null;
  image_size: number;
  /** JSON object or null. */
  annotations: string | null;
  created_at: number;
  updated_at: number;
}

/** Blobs (config, layers) a manifest references, in manifest order. */
export interface ManifestBlobsTable {
  repository: string;
  manifest: string;
  position: number;
  blob: string;
}

/** Child manifests an index lists, in index order. */
export interface ManifestChildrenTable {
  repository: string;
  manifest: string;
  position: number;
  child: string;
  architecture: string | null;
  os: string | null;
}

export interface TagsTable extends AttributeColumns {
  repository: string;
  name: string;
  digest: string;
  created_at: number;
  updated_at: number;
}

export interface UploadsTable {
  id: string;
  repository: string;
  size: number;
  /** The principal id that opened the session ('' before migration 006). */
  opened_by: string;
  created_at: number;
  updated_at: number;
}

export interface SettingsTable {
  key: string;
  /** JSON. */
  value: string;
  updated_at: number;
}

export interface AuditTable {
  /** UUIDv7-shaped: time-ordered, so ids of one millisecond sort in insertion order. */
  id: string;
  at: number;
  actor: string;
  action: string;
  target: string;
  before_json: string | null;
  after_json: string | null;
  details_json: string | null;
  request_id: string | null;
  /**
   * The hash chain (src/metadata/audit-chain.ts, since 010-audit-chain): position 1, 2, ...
   * (unique), the previous entry's hash and this entry's. Null only for a row written around
   * the store, which `audit verify` reports as unchained.
   */
  seq: number | null;
  prev_hash: string | null;
  hash: string | null;
}

/** A repository's tags-list generation (017-tag-list-generations); the row outlives the repository. */
export interface TagListGenerationsTable {
  repository: string;
  /** bigint: PostgreSQL's driver hands it back as a string. */
  generation: number | string;
}

export interface CoreTables {
  repositories: RepositoriesTable;
  blob_links: BlobLinksTable;
  manifests: ManifestsTable;
  manifest_blobs: ManifestBlobsTable;
  manifest_children: ManifestChildrenTable;
  tags: TagsTable;
  uploads: UploadsTable;
  settings: SettingsTable;
  audit: AuditTable;
  tag_list_generations: TagListGenerationsTable;
}
