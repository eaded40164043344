/**
 * The database's schema, for `lazaret migrate` and `lazaret backup`: opened WITHOUT migrating
 * (unlike openMetadataStore), so status and dry runs change nothing.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import type { LazaretConfig } from '../config/schema.ts';
import { migrateToLatest, migrationStatus, openPostgres, openSqlite, type MigrationStatus } from '../metadata/db.ts';
import { isPostgresUrl, postgresOptionsFromUrl } from '../metadata/open-metadata-store.ts';
import { storeSchema } from './index.ts';

export interface SchemaTarget {
  dialect: 'sqlite' | 'postgres';
  /** The SQLite file, or the PostgreSQL URL without its password. */
  where: string;
}

export function schemaTargetOf(config: Pick<LazaretConfig, 'databaseUrl' | 'dataDir'>): SchemaTarget {
  const url = config.databaseUrl;
  if (url) {
    if (!isPostgresUrl(url)) throw new Error('databaseUrl must start with postgres:// or postgresql:// (unset it for SQLite)');
    const shown = new URL(url);
    if (shown.password) shown.password = '***';
    return { dialect: 'postgres', where: shown.toString() };
  }
  return { dialect: 'sqlite', where: join(resolve(config.dataDir), 'lazaret.db') };
}

export async function withDatabase<T>(config: Pick<LazaretConfig, 'databaseUrl' | 'dataDir'>, fn: (db: Kysely<any>) => Promise<T>): Promise<T> {
  const db = config.databaseUrl ? await openPostgres(postgresOptionsFromUrl(config.databaseUrl)) : openSqlite(join(resolve(config.dataDir), 'lazaret.db'));
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

/** Applied, pending and unknown migrations. A SQLite file that does not exist is not created. */
export async function schemaStatus(config: Pick<LazaretConfig, 'databaseUrl' | 'dataDir'>): Promise<MigrationStatus & { exists: boolean }> {
  const target = schemaTargetOf(config);
  if (target.dialect === 'sqlite' && !existsSync(target.where)) {
    return { exists: false, applied: [], pending: storeSchema.migrations.map(([n]) => n), unknown: [] };
  }
  return { exists: true, ...(await withDatabase(config, (db) => migrationStatus(db, storeSchema.migrations))) };
}

/** Runs the pending migrations (what a start does); returns what ran. Refuses a newer schema. */
export async function migrateSchema(config: Pick<LazaretConfig, 'databaseUrl' | 'dataDir'>): Promise<string[]> {
  return withDatabase(config, async (db) => {
    const before = await migrationStatus(db, storeSchema.migrations);
    await migrateToLatest(db, storeSchema.migrations);
    return before.pending;
  });
}
