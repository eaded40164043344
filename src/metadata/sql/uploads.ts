/** UploadStore on SQL (contract: ../metadata-store.ts). */
import type { UploadRecord, UploadStore } from '../metadata-store.ts';
import type { UploadsTable } from '../tables/index.ts';
import type { Db } from './common.ts';

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

    async open(id, repository, limits) {
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
