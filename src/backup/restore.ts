/**
 * `lazaret restore SRC`: a backup folder into an EMPTY data directory (refused otherwise: a
 * restore never merges into, or overwrites, a registry's data).
 *
 * - The backup must be complete (lazaret-backup.json present) and its schema known to this
 *   version (a backup taken by a newer version is restored by that version).
 * - SQLite: the database file is copied and checked (`pragma integrity_check`).
 * - PostgreSQL: the database is restored by the operator with `pg_restore`/`psql` from the
 *   dump taken with the backup (docs/operations.md); this command restores the blobs.
 * - Blobs: each inventoried blob is written into the configured store through `put`, which
 *   verifies its digest; a blob that fails is reported and the restore fails.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Sqlite from 'better-sqlite3';
import type { LazaretConfig } from '../config/schema.ts';
import { KNOWN_MIGRATIONS, schemaTargetOf } from '../persistence/index.ts';
import { backupBlobStore, configuredBlobStore } from './blob-source.ts';
import { copyBlobs } from './copy-blobs.ts';
import { BACKUP_DATABASE, BACKUP_MANIFEST, type BackupManifest } from './backup.ts';

export interface RestoreReport {
  manifest: BackupManifest;
  copied: number;
  missing: string[];
  corrupt: string[];
}

const isEmptyDir = (dir: string) => !existsSync(dir) || readdirSync(dir).length === 0;

export async function restore(config: LazaretConfig, source: string): Promise<RestoreReport> {
  const src = resolve(source);
  const manifestFile = join(src, BACKUP_MANIFEST);
  if (!existsSync(manifestFile)) throw new Error(`${src} is not a complete Lazaret backup (no ${BACKUP_MANIFEST})`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as BackupManifest;
  if (manifest.format !== 1) throw new Error(`unsupported backup format ${String(manifest.format)}`);
  const unknown = manifest.schema.filter((m) => !KNOWN_MIGRATIONS.includes(m));
  if (unknown.length) throw new Error(`the backup was taken by a newer version of Lazaret (${manifest.lazaretVersion}; migrations ${unknown.join(', ')}): restore it with that version`);
  const target = schemaTargetOf(config);
  if (target.dialect !== manifest.database) throw new Error(`the backup holds a ${manifest.database} database but the configuration selects ${target.dialect}`);

  const dataDir = resolve(config.dataDir);
  if (!isEmptyDir(dataDir)) throw new Error(`the data directory ${dataDir} is not empty: restore only into an empty one`);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });

  if (manifest.database === 'sqlite') {
    copyFileSync(join(src, BACKUP_DATABASE), target.where);
    const db = new Sqlite(target.where, { fileMustExist: true });
    try {
      const check = db.pragma('integrity_check', { simple: true });
      if (check !== 'ok') throw new Error(`the restored database fails its integrity check: ${String(check)}`);
    } finally {
      db.close();
    }
  }
  if (!manifest.blobsIncluded) return { manifest, copied: 0, missing: [], corrupt: [] };
  const blobs = configuredBlobStore(config);
  const { copied, missing, corrupt } = await copyBlobs(manifest.blobs, backupBlobStore(src), blobs.store);
  return { manifest, copied, missing, corrupt };
}
