/** RepositoryStore on SQL (contract: ../metadata-store.ts). */
import { sql } from 'kysely';
import type { Digest } from '../../oci/index.ts';
import type { RepositoryRecord, RepositoryStore } from '../metadata-store.ts';
import type { RepositoriesTable } from '../tables/index.ts';
import { atomically, attributeColumns, attributesOf, ensureRepository, pageSize, precompiled, type Db } from './common.ts';

const toRecord = (row: RepositoriesTable): RepositoryRecord => ({
  name: row.name,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
  ...attributesOf(row),
});

const selectRepository = precompiled((d) => d.selectFrom('repositories').selectAll().where('name', '=', '?'));
// The catalog (listListable): names only, listEnabled checked in SQL, one statement per page.
const listableFrom = (d: Db) => d.selectFrom('repositories').select('name').where('list_enabled', '=', sql.lit(1));
const selectListable = precompiled((d) => listableFrom(d).orderBy('name').limit(0));
const selectListableAfter = precompiled((d) => listableFrom(d).where('name', '>', '?').orderBy('name').limit(0));

export function createRepositoryStore(db: Db): RepositoryStore {
  const get = async (name: string) => {
    const [row] = await selectRepository(db, name);
    return row && toRecord(row);
  };

  return {
    get,

    async ensure(name) {
      await ensureRepository(db, name, Date.now());
      return (await get(name))!;
    },

    async list(page) {
      const n = pageSize(page);
      if (n === 0) return [];
      let q = db.selectFrom('repositories').select('name').orderBy('name').limit(n);
      if (page?.last !== undefined) q = q.where('name', '>', page.last);
      return (await q.execute()).map((r) => r.name);
    },

    async listListable(page) {
      const n = pageSize(page);
      if (n === 0) return [];
      const rows = page?.last === undefined ? await selectListable(db, n) : await selectListableAfter(db, page.last, n);
      return rows.map((r) => r.name);
    },

    async counts(name) {
      const [m, t] = await Promise.all([
        db.selectFrom('manifests').select((eb) => eb.fn.countAll<number>().as('n')).where('repository', '=', name).executeTakeFirstOrThrow(),
        db.selectFrom('tags').select((eb) => eb.fn.countAll<number>().as('n')).where('repository', '=', name).executeTakeFirstOrThrow(),
      ]);
      return { manifestCount: Number(m.n), tagCount: Number(t.n) };
    },

    async updateAttributes(name, patch) {
      const columns = attributeColumns(patch);
      if (Object.keys(columns).length > 0) {
        await db.updateTable('repositories').set({ ...columns, updated_at: Date.now() }).where('name', '=', name).execute();
      }
      return get(name);
    },

    async delete(name) {
      return atomically(db, async (tx) => {
        const exists = await tx.selectFrom('repositories').select('name').where('name', '=', name).executeTakeFirst();
        if (!exists) return undefined;
        const manifests = await tx.selectFrom('manifests').select('digest').where('repository', '=', name).orderBy('digest').execute();
        const tags = await tx.selectFrom('tags').select('name').where('repository', '=', name).orderBy('name').execute();
        // Children first, then the repository row; its ON DELETE CASCADE also covers tables
        // later migrations hang off repositories.
        await tx.deleteFrom('tags').where('repository', '=', name).execute();
        await tx.deleteFrom('manifest_children').where('repository', '=', name).execute();
        await tx.deleteFrom('manifest_blobs').where('repository', '=', name).execute();
        await tx.deleteFrom('manifests').where('repository', '=', name).execute();
        await tx.deleteFrom('blob_links').where('repository', '=', name).execute();
        await tx.deleteFrom('uploads').where('repository', '=', name).execute();
        await tx.deleteFrom('repositories').where('name', '=', name).execute();
        return { manifests: manifests.map((m) => m.digest as Digest), tags: tags.map((t) => t.name) };
      });
    },
  };
}
