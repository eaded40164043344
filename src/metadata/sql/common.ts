/**
 * Helpers shared by the SQL role objects: row <-> record mapping of the changeable attributes,
 * page sizes, and "run in a transaction unless already in one".
 */
import type { CompiledQuery, Kysely } from 'kysely';
import type { ChangeableAttributes, Page } from '../metadata-store.ts';
import type { AttributeColumns, Database } from '../tables/index.ts';

export type Db = Kysely<Database>;

export const MAX_PAGE = 1000;

/** The effective page size: `n` capped at 1000, 1000 when absent, 0 for n <= 0. */
export function pageSize(page?: Page): number {
  const n = page?.n ?? MAX_PAGE;
  if (!Number.isFinite(n) || n <= 0) return 0;
  return Math.min(Math.floor(n), MAX_PAGE);
}

export function attributesOf(row: AttributeColumns): ChangeableAttributes {
  return {
    deleteEnabled: row.delete_enabled === 1,
    writeEnabled: row.write_enabled === 1,
    readEnabled: row.read_enabled === 1,
    listEnabled: row.list_enabled === 1,
  };
}

/** Columns to set for a partial attribute patch (only the keys present). */
export function attributeColumns(patch: Partial<ChangeableAttributes>): Partial<AttributeColumns> {
  const out: Partial<AttributeColumns> = {};
  if (patch.deleteEnabled !== undefined) out.delete_enabled = patch.deleteEnabled ? 1 : 0;
  if (patch.writeEnabled !== undefined) out.write_enabled = patch.writeEnabled ? 1 : 0;
  if (patch.readEnabled !== undefined) out.read_enabled = patch.readEnabled ? 1 : 0;
  if (patch.listEnabled !== undefined) out.list_enabled = patch.listEnabled ? 1 : 0;
  return out;
}

/**
 * Runs fn in a transaction, or directly when `db` already is one (role objects handed out by
 * MetadataStore.transaction): multi-statement methods stay atomic either way.
 */
export function atomically<D, T>(db: Kysely<D>, fn: (db: Kysely<D>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}

/** Creates the repository row if missing (for methods that implicitly create it). */
export async function ensureRepository(db: Db, name: string, now: number): Promise<void> {
  await db
    .insertInto('repositories')
    .values({ name, created_at: now, updated_at: now, delete_enabled: 1, write_enabled: 1, read_enabled: 1, list_enabled: 1 })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
}

export const parseJson = (text: string | null): unknown => (text === null ? undefined : JSON.parse(text));
export const toJson = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

/**
 * A hot query compiled once per dialect, then run with fresh parameters: building and
 * compiling a Kysely query costs about as much as SQLite takes to answer a point lookup, and
 * tag and manifest lookups run on every pull. `build` must use placeholder values in the order
 * the parameters will be passed (Kysely never inlines values, so positions are stable). Works
 * on transaction handles too: they share their dialect's adapter, the cache key.
 */
export function precompiled<Row>(build: (db: Db) => { compile(): CompiledQuery<Row> }) {
  const cache = new WeakMap<object, CompiledQuery<Row>>();
  return async (db: Db, ...parameters: unknown[]): Promise<Row[]> => {
    const adapter = db.getExecutor().adapter;
    let compiled = cache.get(adapter);
    if (!compiled) {
      compiled = build(db).compile();
      if (compiled.parameters.length !== parameters.length) throw new Error('precompiled query: parameter count mismatch');
      cache.set(adapter, compiled);
    }
    return (await db.executeQuery<Row>({ ...compiled, parameters })).rows;
  };
}
