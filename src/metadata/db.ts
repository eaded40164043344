/**
 * Kysely factories for the two dialects, and the migration runner. PostgreSQL's factory is in
 * ./postgres-db.ts, loaded on first use.
 *
 * SQLite (better-sqlite3): WAL so readers never block the one writer; busy_timeout so a second
 * process (a CLI next to the server) waits instead of failing with SQLITE_BUSY;
 * synchronous=NORMAL, which in WAL mode is durable against process crashes and loses at most
 * the last transactions on power loss (never corrupts); foreign_keys=ON for the cascades.
 */
import Sqlite from 'better-sqlite3';
import type pg from 'pg';
import { Kysely, Migrator, SqliteDialect, sql, type LogEvent, type Migration, type MigrationProvider, type SqliteDatabase, type SqliteStatement } from 'kysely';
import type { Database } from './tables/index.ts';
import type { NamedMigration } from './migrations/index.ts';
import { isPostgres } from './migrations/helpers.ts';

export type Dialect = 'sqlite' | 'postgres';

/**
 * Told about every query after it ran (metrics, spans): its SQL text (never its parameters),
 * how long it took and whether it failed. Absent = Kysely is built without a log hook at all.
 */
export type QueryObserver = (event: { sql: string; durationMs: number; error?: unknown }) => void;

/** Kysely's `log` option for an observer (or nothing: then Kysely has no log hook at all). */
export function kyselyLog(observe: QueryObserver | undefined): { log?: (event: LogEvent) => void } {
  if (!observe) return {};
  return {
    log(event: LogEvent) {
      observe({ sql: event.query.sql, durationMs: event.queryDurationMillis, ...(event.level === 'error' ? { error: event.error } : {}) });
    },
  };
}

export function openSqlite(file: string, observe?: QueryObserver): Kysely<Database> {
  const database = new Sqlite(file);
  database.pragma('journal_mode = WAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  // Queries are observed at the statement (timedStatement), not through Kysely's log hook: that
  // hook wraps every query in three more async functions, which cost more than the timing.
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database, observe) }) });
}

const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely's SQLite driver prepares every query anew; role objects issue a small fixed set of
 * statements, so reusing prepared ones saves the parse on every call. A statement still being
 * iterated (a streamed query) is `busy` and gets a fresh one.
 */
function withStatementCache(database: Sqlite.Database, observe: QueryObserver | undefined): SqliteDatabase {
  const cache = new Map<string, { stmt: Sqlite.Statement; observed: SqliteStatement }>();
  return {
    close() {
      // SQLite's advice for long-lived connections: refresh planner statistics where stale, at
      // close (cheap: it only analyses tables whose size changed a lot).
      try {
        database.pragma('optimize');
      } catch {
        // read-only or busy: statistics stay as they were
      }
      database.close();
    },
    prepare(query: string) {
      // Kysely opens every transaction with a deferred `begin`. Another process on the same file
      // (a `serve --workers` sibling, a CLI) may commit between this transaction's first read
      // and its first write; SQLite then refuses the write with SQLITE_BUSY at once, without
      // waiting (busy_timeout cannot help a stale snapshot). `begin immediate` takes the write
      // lock first, waiting up to busy_timeout for it, so a transaction either starts or waits.
      // In one process nothing changes: Kysely already runs one transaction at a time.
      const sql = query === 'begin' ? 'begin immediate' : query;
      const cached = cache.get(sql);
      if (cached && !cached.stmt.busy) return cached.observed;
      const stmt = database.prepare(sql);
      const observed = observe ? timedStatement(stmt, sql, observe) : stmt;
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      cache.set(sql, { stmt, observed });
      return observed;
    },
  };
}

/**
 * A statement that tells the observer about each run. better-sqlite3 runs a query synchronously,
 * so timing it is two clock reads around the call. A streamed query (`iterate`) is timed until
 * its last row was read (or it failed), as Kysely's log hook did.
 */
function timedStatement(stmt: Sqlite.Statement, sql: string, observe: QueryObserver): SqliteStatement {
  const timed = <T>(run: () => T): T => {
    const start = performance.now();
    try {
      const result = run();
      observe({ sql, durationMs: performance.now() - start });
      return result;
    } catch (error) {
      observe({ sql, durationMs: performance.now() - start, error });
      throw error;
    }
  };
  return {
    get reader() {
      return stmt.reader;
    },
    all: (parameters) => timed(() => stmt.all(parameters)),
    run: (parameters) => timed(() => stmt.run(parameters)),
    *iterate(parameters) {
      const start = performance.now();
      try {
        yield* stmt.iterate(parameters);
      } catch (error) {
        observe({ sql, durationMs: performance.now() - start, error });
        throw error;
      }
      observe({ sql, durationMs: performance.now() - start });
    },
  };
}

export interface PostgresOptions {
  connectionString: string;
  /** Schema to use (created when missing) via search_path; default: the server's default. */
  schema?: string;
  /** Pool size (default 10). */
  max?: number;
  /** Shown in pg_stat_activity (default `lazaret`). */
  applicationName?: string;
  observe?: QueryObserver;
  /** Handed the pool once it exists (metrics read its occupancy). */
  onPool?: (pool: pg.Pool) => void;
}

/**
 * Opens a PostgreSQL pool as a Kysely instance. The pg driver lives in ./postgres-db.ts and is
 * imported on the first call: a registry on SQLite never loads it.
 */
export async function openPostgres(options: PostgresOptions): Promise<Kysely<Database>> {
  return (await import('./postgres-db.ts')).openPostgresPool(options, kyselyLog(options.observe));
}

export interface MigrationStatus {
  /** Recorded as applied in the database, in order. */
  applied: string[];
  /** Known to this version and not applied yet: what a start (or `lazaret migrate`) would run. */
  pending: string[];
  /** Applied by a NEWER version of Lazaret: this version must not run against the database. */
  unknown: string[];
}

/** Thrown when the database was migrated by a newer Lazaret than this one. */
export class NewerSchemaError extends Error {
  constructor(readonly unknown: string[]) {
    super(
      `the database was migrated by a newer version of Lazaret (migrations unknown to this version: ${unknown.join(', ')}); ` +
        'refusing to start: run the newer version (downgrades are not supported; restore a backup taken before the upgrade to go back)',
    );
    this.name = 'NewerSchemaError';
  }
}

async function migrationTableSchemaOf(db: Kysely<any>): Promise<string | undefined> {
  // Kysely looks for its migration tables in EVERY schema unless told which one: with several
  // schemas in one database (a schema per test suite, or per deployment), it would see another
  // schema's kysely_migration and skip creating its own. Pin it to the connection's schema.
  return isPostgres(db) ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema : undefined;
}

/** What is applied, pending and unknown against `migrations`; reads only (an empty database has everything pending). */
export async function migrationStatus(db: Kysely<any>, migrations: NamedMigration[]): Promise<MigrationStatus> {
  const schema = await migrationTableSchemaOf(db);
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  const hasTable = tables.some((t) => t.name === 'kysely_migration' && (schema === undefined || t.schema === schema));
  const applied = hasTable
    ? (await sql<{ name: string }>`select name from ${sql.table(schema ? `${schema}.kysely_migration` : 'kysely_migration')} order by name`.execute(db)).rows.map((r) => r.name)
    : [];
  const known = new Set(migrations.map(([name]) => name));
  const done = new Set(applied);
  return {
    applied,
    pending: migrations.map(([name]) => name).filter((m) => !done.has(m)),
    unknown: applied.filter((m) => !known.has(m)),
  };
}

/**
 * Runs every pending migration of `migrations` (every module's, joined by src/persistence/);
 * throws on failure. The list must be in strictly increasing name order, the order Kysely
 * runs and records them in: a duplicate number from two modules is refused here, before
 * anything runs.
 */
export async function migrateToLatest(db: Kysely<any>, migrations: NamedMigration[]): Promise<void> {
  for (let i = 1; i < migrations.length; i++) {
    if (!(migrations[i - 1]![0] < migrations[i]![0])) throw new Error(`migrations out of order or duplicated: ${migrations[i - 1]![0]} before ${migrations[i]![0]}`);
  }
  // A database a newer version migrated: refuse before touching it (Kysely would only say
  // "corrupted migrations"), with what to do instead.
  const status = await migrationStatus(db, migrations);
  if (status.unknown.length > 0) throw new NewerSchemaError(status.unknown);
  const provider: MigrationProvider = {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const [name, migration] of migrations) out[name] = migration;
      return out;
    },
  };
  const migrationTableSchema = await migrationTableSchemaOf(db);
  // Numbers are handed out ahead of landing, so a lower one can land after a higher one (013
  // after 017 and 020): a database migrated before then runs the lower one next instead of being
  // refused as "corrupted". Each migration depends only on ones numbered below it that landed
  // before it, so running it late is the same as running it in order.
  const { error, results } = await new Migrator({ db, provider, allowUnorderedMigrations: true, ...(migrationTableSchema ? { migrationTableSchema } : {}) }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`database migration ${failed ?? ''} failed: ${(error as Error).message ?? error}`, { cause: error });
  }
}
