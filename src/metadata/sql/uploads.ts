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
      const row: UploadsTable = { id, repository, size: 0, created_at: now, updated_at: now };
      await db.insertInto('uploads').values(row).execute();
      return toRecord(row);
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
