/**
 * The configured blob store as the offline tools (backup, restore, verify) see it, and whether
 * its blobs can be copied into a backup folder. Only the filesystem driver's blobs are copied:
 * an object store keeps its own copies (versioning, replication), which is where its backup
 * belongs (docs/operations.md "Backup and restore").
 */
import { join, resolve } from 'node:path';
import type { LazaretConfig } from '../config/schema.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { createFsBlobStore } from '../storage/fs-blob-store.ts';

export interface ConfiguredBlobs {
  driver: 'fs';
  store: BlobStore;
  /** Where the driver keeps blobs (fs: <dataDir>/blobs). */
  location: string;
}

export function configuredBlobStore(config: Pick<LazaretConfig, 'dataDir' | 'storage'>): ConfiguredBlobs {
  const root = join(resolve(config.dataDir), 'blobs');
  return { driver: 'fs', store: createFsBlobStore(root, { fsync: config.storage.fsync === 'off' ? false : config.storage.fsync }), location: root };
}

/** A backup folder's blob copy: the same content-addressed layout as the filesystem driver. */
export function backupBlobStore(folder: string): BlobStore {
  return createFsBlobStore(join(folder, 'blobs'), { fsync: 'data' });
}
