/** UploadStateStore on SQL (contract: ../upload-states.ts), both dialects. */
import type { UploadStateStore } from '../upload-states.ts';
import type { Kysely } from 'kysely';
import type { StorageDatabase } from './tables.ts';

export function createSqlUploadStates(db: Kysely<StorageDatabase>): UploadStateStore {
  return {
    async create(id, state) {
      const r = await db
        .insertInto('blob_upload_states')
        .values({ id, version: 1, state, updated_at: Date.now() })
        .onConflict((oc) => oc.column('id').doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0; // 0 when the id existed (do nothing)
    },
    async get(id) {
      const row = await db.selectFrom('blob_upload_states').selectAll().where('id', '=', id).executeTakeFirst();
      return row && { state: row.state, version: row.version, updatedAt: row.updated_at };
    },
    async replace(id, version, state) {
      const r = await db
        .updateTable('blob_upload_states')
        .set({ state, version: version + 1, updated_at: Date.now() })
        .where('id', '=', id)
        .where('version', '=', version)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async delete(id) {
      await db.deleteFrom('blob_upload_states').where('id', '=', id).execute();
    },
    async listStale(before) {
      const rows = await db
        .selectFrom('blob_upload_states')
        .select('id')
        .where('updated_at', '<', before.getTime())
        .orderBy('updated_at')
        .orderBy('id')
        .execute();
      return rows.map((r) => r.id);
    },
  };
}
