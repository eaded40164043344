/** RecycleBinStore on SQL (contract: ../recycle-bin/recycle-bin-store.ts), SQLite and PostgreSQL. */
import type { Kysely } from 'kysely';
import type { Digest } from '../../oci/index.ts';
import { atomically, pageSize } from '../../metadata/sql/common.ts';
import type { RecycledManifest, RecycleBinStore } from '../recycle-bin/recycle-bin-store.ts';
import type { LifecycleDatabase, RecycleBinTable } from './tables.ts';

const INSERT_BATCH = 1000;

const entryOf = (r: RecycleBinTable): RecycledManifest => ({
  repository: r.repository,
  digest: r.digest as Digest,
  mediaType: r.media_type,
  size: Number(r.size),
  deletedAt: new Date(Number(r.deleted_at)),
  expiresAt: new Date(Number(r.expires_at)),
  deletedBy: r.deleted_by,
  record: JSON.parse(r.record),
  tags: JSON.parse(r.tags),
});

/** `repository@digest` of a cursor; undefined when malformed (a cursor that names nothing). */
function cursorOf(last: string): [string, string] | undefined {
  const at = last.lastIndexOf('@');
  return at > 0 ? [last.slice(0, at), last.slice(at + 1)] : undefined;
}

export function createRecycleBinStore(db: Kysely<LifecycleDatabase>): RecycleBinStore {
  return {
    async put(e) {
      await atomically(db, async (tx) => {
        // An older entry of the digest (deleted, pushed again, deleted again) is replaced; its
        // reference rows go with it (foreign key cascade).
        await tx.deleteFrom('recycle_bin').where('repository', '=', e.repository).where('digest', '=', e.digest).execute();
        await tx
          .insertInto('recycle_bin')
          .values({
            repository: e.repository,
            digest: e.digest,
            deleted_at: e.deletedAt.getTime(),
            expires_at: e.expiresAt.getTime(),
            deleted_by: e.deletedBy,
            media_type: e.mediaType,
            size: e.size,
            record: JSON.stringify(e.record),
            tags: JSON.stringify(e.tags),
          })
          .execute();
        const refs = [...new Set([e.digest, ...e.record.blobs, ...e.record.children.map((c) => c.digest)])];
        for (let i = 0; i < refs.length; i += INSERT_BATCH) {
          await tx
            .insertInto('recycle_bin_refs')
            .values(refs.slice(i, i + INSERT_BATCH).map((ref) => ({ repository: e.repository, ref, manifest: e.digest })))
            .execute();
        }
      });
    },

    async get(repository, digest) {
      const row = await db.selectFrom('recycle_bin').selectAll().where('repository', '=', repository).where('digest', '=', digest).executeTakeFirst();
      return row && entryOf(row);
    },

    async list(options = {}) {
      const n = pageSize(options);
      if (n === 0) return [];
      let q = db.selectFrom('recycle_bin').selectAll().orderBy('repository').orderBy('digest').limit(n);
      if (options.repository !== undefined) q = q.where('repository', '=', options.repository);
      if (options.last !== undefined) {
        const cursor = cursorOf(options.last);
        if (!cursor) return [];
        q = q.where((eb) => eb(eb.refTuple('repository', 'digest'), '>', eb.tuple(cursor[0], cursor[1])));
      }
      return (await q.execute()).map(entryOf);
    },

    async remove(repository, digest) {
      const r = await db.deleteFrom('recycle_bin').where('repository', '=', repository).where('digest', '=', digest).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    async expired(now, limit) {
      const rows = await db.selectFrom('recycle_bin').selectAll().where('expires_at', '<=', now.getTime()).orderBy('expires_at').orderBy('repository').orderBy('digest').limit(Math.max(0, limit)).execute();
      return rows.map(entryOf);
    },

    async countExpired(now) {
      const row = await db.selectFrom('recycle_bin').select((eb) => eb.fn.countAll<number>().as('n')).where('expires_at', '<=', now.getTime()).executeTakeFirst();
      return Number(row?.n ?? 0);
    },
  };
}
