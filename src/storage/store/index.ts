/**
 * The storage module's persistence: the shared state of open uploads of drivers that need it
 * (contract: ../upload-states.ts; table: tables.ts; migration 006-blob-upload-states;
 * conformance section: suite.ts).
 */
import type { ModuleStore } from '../../metadata/module-store.ts';
import type { UploadStateStore } from '../upload-states.ts';
import * as storage006 from './migrations/006-blob-upload-states.ts';
import { createSqlUploadStates } from './upload-states-sql.ts';

export interface StorageRoles {
  /** State of open uploads a blob store driver shares across nodes (the S3 driver's). */
  blobUploadStates: UploadStateStore;
}

export const storageStore: ModuleStore<StorageRoles> = {
  name: 'storage',
  migrations: [['006-blob-upload-states', storage006]],
  createRoles: (db) => ({ blobUploadStates: createSqlUploadStates(db) }),
};
