/**
 * Small helpers for migrations, so one migration file runs on SQLite and PostgreSQL.
 */
import { PostgresAdapter, sql, type Kysely, type RawBuilder } from 'kysely';

export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * The type for key columns compared and ordered as strings (names, tags, digests): `text`
 * ordered byte-wise. SQLite's default BINARY collation already is; PostgreSQL's database
 * collation may be a locale one (where `a-b` and `ab` sort differently), so we pin "C". This
 * makes `last`/`n` paging identical on both dialects and keeps `name > $last` on the index.
 */
export function keyText(db: Kysely<any>): RawBuilder<unknown> {
  return isPostgres(db) ? sql`text collate "C"` : sql`text`;
}

/** Adds the four ACR changeable attributes (default true) to a table being created. */
export function withAttributes<T extends { addColumn: (...args: any[]) => T }>(table: T): T {
  return table
    .addColumn('delete_enabled', 'integer', (c: any) => c.notNull().defaultTo(1))
    .addColumn('write_enabled', 'integer', (c: any) => c.notNull().defaultTo(1))
    .addColumn('read_enabled', 'integer', (c: any) => c.notNull().defaultTo(1))
    .addColumn('list_enabled', 'integer', (c: any) => c.notNull().defaultTo(1));
}
