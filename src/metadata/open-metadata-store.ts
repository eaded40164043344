/**
 * Opens the configured MetadataStore and brings its schema up to date.
 *
 * Decision: `databaseUrl` starting with postgres:// or postgresql:// selects PostgreSQL; unset
 * means SQLite at <dataDir>/lazaret.db; anything else is a configuration error (a typo must not
 * silently fall back to a fresh SQLite file). Migrations run at every open: they are versioned
 * and idempotent, and Kysely's migration lock serialises several servers starting at once.
 *
 * Decision: a `schema=NAME` query parameter in the PostgreSQL URL selects (and creates) a
 * schema via search_path, so several registries, or a test server per test, can share one
 * database. It is removed from the URL before pg sees it.
 */
import { join } from 'node:path';
import type { LazaretConfig } from '../config/schema.ts';
import type { MetadataStore } from './metadata-store.ts';
import { migrateToLatest, openPostgres, openSqlite, type PostgresOptions } from './db.ts';
import { createSqlStore } from './sql-store.ts';

export const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//.test(url);

export async function openMetadataStore(config: Pick<LazaretConfig, 'databaseUrl'>, dataDir: string): Promise<MetadataStore> {
  const url = config.databaseUrl;
  if (url !== undefined && url !== '') {
    if (!isPostgresUrl(url)) throw new Error('databaseUrl must start with postgres:// or postgresql:// (unset it for SQLite)');
    return openPostgresStore(postgresOptionsFromUrl(url));
  }
  return openSqliteStore(join(dataDir, 'lazaret.db'));
}

/** Splits a `schema` query parameter off a PostgreSQL URL. */
export function postgresOptionsFromUrl(url: string): PostgresOptions {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema') ?? undefined;
  parsed.searchParams.delete('schema');
  return { connectionString: parsed.toString(), ...(schema ? { schema } : {}) };
}

export async function openSqliteStore(file: string): Promise<MetadataStore> {
  const db = openSqlite(file);
  try {
    await migrateToLatest(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return createSqlStore(db, 'sqlite');
}

export async function openPostgresStore(options: PostgresOptions): Promise<MetadataStore> {
  const db = await openPostgres(options);
  try {
    await migrateToLatest(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return createSqlStore(db, 'postgres');
}
