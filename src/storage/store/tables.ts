import type { CoreTables } from '../../metadata/tables/index.ts';

/** The storage module's tables (migration: migrations/006-blob-upload-states.ts). */
export interface BlobUploadStatesTable {
  id: string;
  /** Bumped by every successful compare-and-set replace. */
  version: number;
  /** Driver-owned JSON (src/storage/s3/upload-state.ts for S3). */
  state: string;
  updated_at: number;
}

export interface StorageTables {
  blob_upload_states: BlobUploadStatesTable;
}

export interface StorageDatabase extends CoreTables, StorageTables {}
