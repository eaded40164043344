/**
 * RecycleBinStore: soft-deleted manifests (contract; SQL: ../store/recycle-bin-sql.ts;
 * conformance section: ../store/suite.ts; why and the rules: docs/storage-lifecycle.md
 * "Soft delete").
 *
 * An entry is written in the transaction that removes the manifest, and removed in the one that
 * restores or purges it. While it exists, what the manifest referenced (its own bytes, config,
 * layers, children) counts as referenced for garbage collection (GcStore's questions look at the
 * entry's reference rows), so its blobs and their links in the repository stay.
 */
import type { Digest } from '../../oci/index.ts';
import type { ChangeableAttributes, ManifestInput, Page } from '../../metadata/metadata-store.ts';

export interface RecycledTag extends ChangeableAttributes {
  name: string;
}

export interface RecycledManifest {
  repository: string;
  digest: Digest;
  mediaType: string;
  size: number;
  deletedAt: Date;
  /** When the collector purges it. */
  expiresAt: Date;
  deletedBy: string;
  /** The manifest's record as it was (what a restore writes back). */
  record: ManifestInput & ChangeableAttributes & { createdAt: string };
  tags: RecycledTag[];
}

export interface RecycleBinListOptions extends Page {
  /** Only this repository's entries. */
  repository?: string;
}

export interface RecycleBinStore {
  /** Puts a manifest in the bin (replacing an older entry of the same digest). */
  put(entry: RecycledManifest): Promise<void>;
  get(repository: string, digest: Digest): Promise<RecycledManifest | undefined>;
  /** By repository, then digest; `last` is the previous page's last `repository@digest`. */
  list(options?: RecycleBinListOptions): Promise<RecycledManifest[]>;
  /** Removes the entry; false when there was none. */
  remove(repository: string, digest: Digest): Promise<boolean>;
  /** Entries whose expiry is at or before `now`, oldest expiry first, at most `limit`. */
  expired(now: Date, limit: number): Promise<RecycledManifest[]>;
  countExpired(now: Date): Promise<number>;
}
