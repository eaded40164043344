/**
 * Opens a store (the content core plus whichever modules' `schema` joins in) and brings its
 * schema up to date. The application's store is opened through src/persistence/, which
 * passes every module's schema.
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
import type { CoreRoles, TransactionalStore } from './metadata-store.ts';
import type pg from 'pg';
import { migrateToLatest, openPostgres, openSqlite, type PostgresOptions, type QueryObserver } from './db.ts';
import { createSqlStore, type StoreSchema } from './sql-store.ts';

export const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//.test(url);

/** Observation hooks (src/observability): per-query reports and the PostgreSQL pool. */
export interface StoreObservers {
  observe?: QueryObserver;
  onPool?: (pool: pg.Pool) => void;
}

export async function openStore<R extends CoreRoles>(schema: StoreSchema<R>, config: Pick<LazaretConfig, 'databaseUrl'>, dataDir: string, observers: StoreObservers = {}): Promise<TransactionalStore<R>> {
  const url = config.databaseUrl;
  if (url !== undefined && url !== '') {
    if (!isPostgresUrl(url)) throw new Error('databaseUrl must start with postgres:// or postgresql:// (unset it for SQLite)');
    return openPostgresStoreOf(schema, { ...postgresOptionsFromUrl(url), ...observers });
  }
  return openSqliteStoreOf(schema, join(dataDir, 'lazaret.db'), observers.observe);
}

/** Splits a `schema` query parameter off a PostgreSQL URL. */
export function postgresOptionsFromUrl(url: string): PostgresOptions {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema') ?? undefined;
  parsed.searchParams.delete('schema');
  return { connectionString: parsed.toString(), ...(schema ? { schema } : {}) };
}

export async function openSqliteStoreOf<R extends CoreRoles>(schema: StoreSchema<R>, file: string, observe?: QueryObserver): Promise<TransactionalStore<R>> {
  const db = openSqlite(file, observe);
  try {
    await migrateToLatest(db, schema.migrations);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return createSqlStore(db, 'sqlite', schema);
}

export async function openPostgresStoreOf<R extends CoreRoles>(schema: StoreSchema<R>, options: PostgresOptions): Promise<TransactionalStore<R>> {
  const db = await openPostgres(options);
  try {
    await migrateToLatest(db, schema.migrations);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return createSqlStore(db, 'postgres', schema);
}
