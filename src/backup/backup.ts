/**
 * `lazaret backup DEST`: a consistent online backup while the registry serves.
 *
 * Order matters: the database first, the blobs second. The blobs copied are exactly those the
 * database COPY references, read from the live store after the copy was taken: blob bytes are
 * immutable and content-addressed, so every blob the copy names still exists (nothing deletes
 * blob bytes while they are referenced) and is copied whole and re-verified against its
 * digest. Pushes during the backup add blobs the copy does not reference; they are not needed.
 *
 * - SQLite: better-sqlite3's online backup API, all pages in one step (one read transaction: a
 *   consistent snapshot even while pushes commit).
 * - PostgreSQL: the database is backed up with `pg_dump` by the operator, BEFORE this command
 *   (docs/operations.md); this command checks that the schema is the one this version knows,
 *   records it, and copies the blobs the database references now (a superset of the dump's).
 * - Blobs (filesystem driver): incremental: a blob already in DEST with the right size is not
 *   copied again (content-addressed names never change meaning).
 * - `lazaret-backup.json` is written last: a folder without it is not a complete backup.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Sqlite from 'better-sqlite3';
import type { LazaretConfig } from '../config/schema.ts';
import { openSqlite } from '../metadata/db.ts';
import { LAZARET_VERSION } from '../package-info.ts';
import { schemaStatus, schemaTargetOf, withDatabase } from '../persistence/index.ts';
import { NewerSchemaError } from '../metadata/db.ts';
import { blobInventory, type InventoryEntry } from './inventory.ts';
import { backupBlobStore, configuredBlobStore } from './blob-source.ts';
import { copyBlobs } from './copy-blobs.ts';

export const BACKUP_MANIFEST = 'lazaret-backup.json';
export const BACKUP_DATABASE = 'lazaret.db';

export interface BackupManifest {
  format: 1;
  lazaretVersion: string;
  createdAt: string;
  database: 'sqlite' | 'postgres';
  /** Applied migrations of the backed-up database, in order. */
  schema: string[];
  blobDriver: string;
  /** Whether DEST/blobs holds the blobs (filesystem driver). */
  blobsIncluded: boolean;
  blobs: InventoryEntry[];
}

export interface BackupReport {
  manifest: BackupManifest;
  copied: number;
  alreadyThere: number;
  /** Referenced by the database and absent from the store (reported, not fatal). */
  missing: string[];
  corrupt: string[];
}

export async function backup(config: LazaretConfig, destination: string): Promise<BackupReport> {
  const dest = resolve(destination);
  mkdirSync(dest, { recursive: true, mode: 0o700 });
  // An old manifest must not vouch for a folder that is being rewritten.
  rmSync(join(dest, BACKUP_MANIFEST), { force: true });
  const target = schemaTargetOf(config);
  const status = await schemaStatus(config);
  if (!status.exists) throw new Error(`no database at ${target.where}: nothing to back up`);
  if (status.unknown.length) throw new NewerSchemaError(status.unknown);
  if (status.pending.length) throw new Error(`the database has migrations pending (${status.pending.join(', ')}): start this version (or run \`lazaret migrate\`) before backing it up`);

  let inventory: InventoryEntry[];
  if (target.dialect === 'sqlite') {
    const partial = join(dest, `${BACKUP_DATABASE}.partial`);
    rmSync(partial, { force: true });
    const source = new Sqlite(target.where, { fileMustExist: true });
    try {
      source.pragma('busy_timeout = 5000');
      // All remaining pages per step: one step, one read transaction, one consistent snapshot.
      await source.backup(partial, { progress: () => 2 ** 30 });
    } finally {
      source.close();
    }
    renameSync(partial, join(dest, BACKUP_DATABASE));
    const copy = openSqlite(join(dest, BACKUP_DATABASE));
    try {
      inventory = await blobInventory(copy);
    } finally {
      await copy.destroy();
    }
  } else {
    inventory = await withDatabase(config, (db) => blobInventory(db));
  }

  const blobs = configuredBlobStore(config);
  const result = blobs.driver === 'fs' ? await copyBlobs(inventory, blobs.store, backupBlobStore(dest)) : { copied: 0, alreadyThere: 0, missing: [], corrupt: [] };
  const manifest: BackupManifest = {
    format: 1,
    lazaretVersion: LAZARET_VERSION,
    createdAt: new Date().toISOString(),
    database: target.dialect,
    schema: status.applied,
    blobDriver: blobs.driver,
    blobsIncluded: blobs.driver === 'fs',
    blobs: inventory,
  };
  const tmp = join(dest, `${BACKUP_MANIFEST}.partial`);
  writeFileSync(tmp, JSON.stringify(manifest, null, 1) + '\n', { mode: 0o600 });
  renameSync(tmp, join(dest, BACKUP_MANIFEST));
  return { manifest, ...result };
}

