/**
 * TagStore on SQL (contract: ../metadata-store.ts).
 *
 * Decision: as for manifests, `timeasc`/`timedesc` order by updatedAt (ACR's lastUpdateTime;
 * a moved tag counts as updated), ties by name; `last` is the previous page's last tag name.
 * A moved tag keeps its createdAt and its changeable attributes.
 */
import { sql } from 'kysely';
import type { Digest } from '../../oci/index.ts';
import type { ListableTag, TagRecord, TagStore } from '../metadata-store.ts';
import type { TagsTable } from '../tables/index.ts';
import { MAX_PAGE, atomically, attributeColumns, attributesOf, pageSize, precompiled, type Db } from './common.ts';

const toRecord = (row: TagsTable): TagRecord => ({
  repository: row.repository,
  name: row.name,
  digest: row.digest as Digest,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
  ...attributesOf(row),
});

/** Parameters per IN list (getMany): well under both dialects' bind limits. */
const IN_LIST = 500;

const selectTag = precompiled((d) => d.selectFrom('tags').selectAll().where('repository', '=', '?').where('name', '=', '?'));

// The /v2 tags list (listListable): only the two columns it needs, listEnabled checked in SQL.
// The manifest's flag is read by a correlated scalar subquery on its full key, which SQLite
// always answers from the manifests' primary key: the page walks the tags' key in name order
// from the cursor and stops after n rows. As a join, SQLite followed its statistics: taken when a
// repository had few manifests (`PRAGMA optimize` runs at close), they made it scan the
// manifests first and sort every tag of the repository before the LIMIT, or scan the manifests
// once per tag (bench/README.md, tags list).
const listableFrom = (d: Db) =>
  d
    .selectFrom('tags as t')
    .select(['t.name as name', 't.digest as digest'])
    .where('t.repository', '=', '?')
    .where('t.list_enabled', '=', sql.lit(1))
    .where((eb) => eb(eb.selectFrom('manifests as m').select('m.list_enabled').whereRef('m.repository', '=', 't.repository').whereRef('m.digest', '=', 't.digest'), '=', sql.lit(1)));
const selectListable = precompiled((d) => listableFrom(d).orderBy('t.name').limit(0));
const selectListableAfter = precompiled((d) => listableFrom(d).where('t.name', '>', '?').orderBy('t.name').limit(0));

export function createTagStore(db: Db): TagStore {
  const getRow = async (d: Db, repository: string, tag: string) => (await selectTag(d, repository, tag))[0];

  const get = async (repository: string, tag: string) => {
    const row = await getRow(db, repository, tag);
    return row && toRecord(row);
  };

  return {
    get,

    async put(repository, tag, digest) {
      const now = Date.now();
      return atomically(db, async (tx) => {
        const existing = await getRow(tx, repository, tag);
        // Upsert rather than insert-or-update: two concurrent first pushes of a tag on
        // PostgreSQL must not fail with a unique violation.
        await tx
          .insertInto('tags')
          .values({ repository, name: tag, digest, created_at: now, updated_at: now, delete_enabled: 1, write_enabled: 1, read_enabled: 1, list_enabled: 1 })
          .onConflict((oc) => oc.columns(['repository', 'name']).doUpdateSet({ digest, updated_at: now }))
          .execute();
        await tx.updateTable('repositories').set({ updated_at: now }).where('name', '=', repository).execute();
        return existing ? { previous: existing.digest as Digest } : {};
      });
    },

    async list(repository, options = {}) {
      const n = pageSize(options);
      if (n === 0) return [];
      const order = options.orderBy ?? 'none';
      let q = db.selectFrom('tags').selectAll().where('repository', '=', repository).limit(n);
      if (options.digest !== undefined) q = q.where('digest', '=', options.digest);
      if (order === 'none') {
        q = q.orderBy('name');
        if (options.last !== undefined) q = q.where('name', '>', options.last);
      } else {
        const dir = order === 'timeasc' ? 'asc' : 'desc';
        const cmp = order === 'timeasc' ? '>' : '<';
        q = q.orderBy('updated_at', dir).orderBy('name', dir);
        if (options.last !== undefined) {
          const cursor = await getRow(db, repository, options.last);
          if (!cursor) return [];
          q = q.where((eb) => eb(eb.refTuple('updated_at', 'name'), cmp, eb.tuple(cursor.updated_at, cursor.name)));
        }
      }
      return (await q.execute()).map(toRecord);
    },

    async namesOf(repository, digests) {
      const out = new Map<Digest, string[]>();
      if (digests.length === 0) return out;
      const rows = await db
        .selectFrom('tags')
        .select(['digest', 'name'])
        .where('repository', '=', repository)
        .where('digest', 'in', [...digests])
        .orderBy('digest')
        .orderBy('name')
        .limit(MAX_PAGE * digests.length)
        .execute();
      for (const row of rows) {
        const names = out.get(row.digest as Digest) ?? [];
        if (names.length < MAX_PAGE) names.push(row.name);
        out.set(row.digest as Digest, names);
      }
      return out;
    },

    async getMany(repository, names) {
      const out = new Map<string, TagRecord>();
      const unique = [...new Set(names)];
      for (let i = 0; i < unique.length; i += IN_LIST) {
        const rows = await db.selectFrom('tags').selectAll().where('repository', '=', repository).where('name', 'in', unique.slice(i, i + IN_LIST)).execute();
        for (const row of rows) out.set(row.name, toRecord(row));
      }
      return out;
    },

    async listListable(repository, options = {}) {
      const n = pageSize(options);
      if (n === 0) return [];
      const rows = options.last === undefined ? await selectListable(db, repository, n) : await selectListableAfter(db, repository, options.last, n);
      return rows as ListableTag[];
    },

    async delete(repository, tag) {
      const r = await db.deleteFrom('tags').where('repository', '=', repository).where('name', '=', tag).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    async updateAttributes(repository, tag, patch) {
      const columns = attributeColumns(patch);
      if (Object.keys(columns).length > 0) {
        await db.updateTable('tags').set({ ...columns, updated_at: Date.now() }).where('repository', '=', repository).where('name', '=', tag).execute();
      }
      return get(repository, tag);
    },
  };
}
