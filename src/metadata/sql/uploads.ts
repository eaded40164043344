/** UploadStore on SQL (contract: ../metadata-store.ts). */
import { sql } from 'kysely';
import type { UploadLimits, UploadRecord, UploadStore } from '../metadata-store.ts';
import type { UploadsTable } from '../tables/index.ts';
import { isPostgres } from '../migrations/helpers.ts';
import { atomically, type Db } from './common.ts';

/**
 * Advisory lock classes ("LZUP", "LZUR") serialising opens of one principal and of one
 * repository on PostgreSQL. The key is hashed with the schema, since advisory locks are
 * database-wide and several registries may share a database in different schemas.
 */
const PRINCIPAL_LOCK_CLASS = 0x4c5a5550;
const REPOSITORY_LOCK_CLASS = 0x4c5a5552;

const toRecord = (row: UploadsTable): UploadRecord => ({
  id: row.id,
  repository: row.repository,
  size: row.size,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
});

export function createUploadStore(db: Db): UploadStore {
  const get = async (id: string) => {
    const row = await db.selectFrom('uploads').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  };

  return {
    get,

    async create(id, repository) {
      const now = Date.now();
      const row: UploadsTable = { id, repository, size: 0, opened_by: '', created_at: now, updated_at: now };
      await db.insertInto('uploads').values(row).execute();
      return toRecord(row);
    },

    /**
     * The bounds hold exactly, on every node. The INSERT ... SELECT counts and inserts in one
     * statement, but on PostgreSQL (READ COMMITTED) concurrent statements each count without
     * the rows the others are inserting, so N racing opens all passed a count of 0 (a pool of
     * 20 let 12 of at most 5 through). Each open therefore first takes the principal's and then
     * the repository's transaction-scoped advisory lock (always in that order: no deadlock);
     * the count runs after the previous holder committed, so it sees its row. SQLite needs no
     * lock: one writer at a time, and a statement whose snapshot is stale cannot write.
     */
    async open(id, repository, limits) {
      if (!isPostgres(db)) return insertWithinLimits(db, id, repository, limits);
      return atomically(db, async (tx) => {
        await sql`select pg_advisory_xact_lock(${PRINCIPAL_LOCK_CLASS}::int4, hashtext(current_schema() || '/' || ${limits.openedBy}))`.execute(tx);
        await sql`select pg_advisory_xact_lock(${REPOSITORY_LOCK_CLASS}::int4, hashtext(current_schema() || '/' || ${repository}))`.execute(tx);
        return insertWithinLimits(tx, id, repository, limits);
      });
    },

    async touch(id, size) {
      await db.updateTable('uploads').set({ size, updated_at: Date.now() }).where('id', '=', id).execute();
    },

    async delete(id) {
      const r = await db.deleteFrom('uploads').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    async listStale(before) {
      const rows = await db.selectFrom('uploads').selectAll().where('updated_at', '<', before.getTime()).orderBy('updated_at').orderBy('id').execute();
      return rows.map(toRecord);
    },
  };
}

/** One conditional INSERT: the session row, unless a bound is reached; else which bound refused. */
async function insertWithinLimits(db: Db, id: string, repository: string, limits: UploadLimits): Promise<UploadRecord | { refused: 'principal' | 'repository' }> {
  const now = Date.now();
  const r = await db
    .insertInto('uploads')
    .columns(['id', 'repository', 'size', 'opened_by', 'created_at', 'updated_at'])
    .expression(
      db
        .selectNoFrom((eb) => [eb.val(id).as('id'), eb.val(repository).as('repository'), eb.lit(0).as('size'), eb.val(limits.openedBy).as('opened_by'), eb.val(now).as('created_at'), eb.val(now).as('updated_at')])
        .where((eb) => eb(eb.selectFrom('uploads').select(eb.fn.countAll().as('n')).where('opened_by', '=', limits.openedBy), '<', limits.maxPerPrincipal))
        .where((eb) => eb(eb.selectFrom('uploads').select(eb.fn.countAll().as('n')).where('repository', '=', repository), '<', limits.maxPerRepository)),
    )
    .executeTakeFirst();
  if (Number(r.numInsertedOrUpdatedRows ?? 0) === 1) return toRecord({ id, repository, size: 0, opened_by: limits.openedBy, created_at: now, updated_at: now });
  const mine = await db.selectFrom('uploads').select((eb) => eb.fn.countAll().as('n')).where('opened_by', '=', limits.openedBy).executeTakeFirstOrThrow();
  return { refused: Number(mine.n) >= limits.maxPerPrincipal ? 'principal' : 'repository' };
}
