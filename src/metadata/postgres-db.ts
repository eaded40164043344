/**
 * The PostgreSQL half of ./db.ts (pg Pool): int8 and numeric parsed to JS numbers (times are
 * ms since the epoch, sizes are below 2^53), and an optional schema (search_path) so each
 * test suite gets a fresh one. Imported by `openPostgres` on first use only, so a node on
 * SQLite never loads the pg driver.
 */
import pg from 'pg';
import { Kysely, PostgresDialect, type DatabaseIntrospector, type KyselyConfig } from 'kysely';
import type { Database } from './tables/index.ts';
import type { PostgresOptions } from './db.ts';
import { CurrentSchemaIntrospector } from './postgres-introspector.ts';

/** PostgresDialect whose introspector sees only the connection's schema (./postgres-introspector.ts says why). */
class SchemaScopedPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new CurrentSchemaIntrospector(db);
  }
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;
/** Per-pool type parsers (not pg's global registry, which every pg user shares). */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

/** `log`: Kysely's log option from db.ts's `kyselyLog` (empty without an observer). */
export async function openPostgresPool(options: PostgresOptions, log: Pick<KyselyConfig, 'log'>): Promise<Kysely<Database>> {
  const { schema } = options;
  if (schema !== undefined && !SCHEMA_RE.test(schema)) throw new Error(`invalid PostgreSQL schema name: ${schema}`);
  if (schema) {
    // Created with a throwaway client: the pool's connections then start with it on their path.
    const client = new pg.Client({ connectionString: options.connectionString });
    await client.connect();
    try {
      await client.query(`create schema if not exists "${schema}"`);
    } catch (err) {
      // Two servers starting at once both pass the "if not exists" check; the loser of the
      // race sees a unique violation, and the schema it wanted exists.
      if ((err as { code?: string }).code !== '23505' && (err as { code?: string }).code !== '42P06') throw err;
    } finally {
      await client.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'lazaret',
    types: pgTypes,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client losing its connection (server restart, network blip) emits 'error' on the
  // pool; unhandled, that would crash the registry. The pool drops that client, and the next
  // query gets a fresh connection (or fails, and that request answers 500/503).
  pool.on('error', () => undefined);
  // A client checked out when its connection drops emits 'error' too, and the pool listens only
  // on idle clients: without this the registry crashed when PostgreSQL went away mid-query (an
  // uncaught 'error' event). The query in flight rejects with the same error, so the request
  // (or the background pass) that ran it reports it; the event itself needs no handling.
  pool.on('connect', (client) => client.on('error', () => undefined));
  options.onPool?.(pool);
  return new Kysely<Database>({ dialect: new SchemaScopedPostgresDialect({ pool }), ...log });
}

