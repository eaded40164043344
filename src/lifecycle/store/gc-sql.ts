/** GcStore on SQL (contract: ../gc/gc-store.ts), SQLite and PostgreSQL. */
import { sql, type Kysely } from 'kysely';
import type { Digest } from '../../oci/index.ts';
import { isPostgres } from '../../metadata/migrations/helpers.ts';
import type { GcRunRecord, GcStore, TombstoneRecord } from '../gc/gc-store.ts';
import type { LifecycleDatabase } from './tables.ts';

/** The advisory-lock class of blob references ('LZGC'), and of the collector itself ('LZGR'). */
const REFERENCE_LOCK_CLASS = 0x4c5a4743;
const COLLECTOR_LOCK_CLASS = 0x4c5a4752;

/** A digest's lock key: its first 32 bits (digests are uniformly distributed; a collision only serialises two digests). */
export function lockKey(digest: Digest): number {
  const hex = digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 9);
  return Number.parseInt(hex, 16) | 0;
}

const MAX_BATCH = 500;
function checkBatch(digests: readonly unknown[]) {
  if (digests.length > MAX_BATCH) throw new Error(`at most ${MAX_BATCH} digests per question`);
}

const tombstoneOf = (r: { digest: string; size: number; marked_at: number; deleted_at: number | null }): TombstoneRecord => ({
  digest: r.digest as Digest,
  size: Number(r.size),
  markedAt: new Date(Number(r.marked_at)),
  ...(r.deleted_at !== null ? { deletedAt: new Date(Number(r.deleted_at)) } : {}),
});

export function createGcStore(db: Kysely<LifecycleDatabase>): GcStore {
  const postgres = isPostgres(db);

  async function upsertStates(rows: { repository: string; digest: string; state: 'released' | 'pending'; at: number }[]) {
    if (rows.length === 0) return;
    await db
      .insertInto('gc_link_states')
      .values(rows)
      .onConflict((oc) => oc.columns(['repository', 'digest']).doUpdateSet((eb) => ({ state: eb.ref('excluded.state'), at: eb.ref('excluded.at') })))
      .execute();
  }

  return {
    async lock(digests) {
      if (!postgres || digests.length === 0) return;
      const keys = [...new Set(digests.map(lockKey))].sort((a, b) => a - b);
      // unnest keeps the array's order: the locks are taken in ascending key order by everyone.
      await sql`select pg_advisory_xact_lock(${REFERENCE_LOCK_CLASS}::int4, k) from unnest(${keys}::int4[]) as k`.execute(db);
    },

    async tombstoned(digests) {
      if (digests.length === 0) return [];
      checkBatch(digests);
      const rows = await db.selectFrom('gc_tombstones').select('digest').where('digest', 'in', [...digests]).execute();
      return rows.map((r) => r.digest as Digest);
    },

    async forgetTombstone(digest) {
      await db.deleteFrom('gc_tombstones').where('digest', '=', digest).execute();
    },

    async relinked(repository, digest) {
      await upsertStates([{ repository, digest, state: 'pending', at: Date.now() }]);
    },

    async released(repository, digests) {
      const at = Date.now();
      await upsertStates([...new Set(digests)].map((digest) => ({ repository, digest, state: 'released' as const, at })));
    },

    async releaseRepository(repository) {
      const at = Date.now();
      const state = sql<string>`'released'`.as('state');
      const time = sql<number>`cast(${at} as bigint)`.as('at');
      const sources = [
        db.selectFrom('blob_links').select(['repository', 'digest', state, time]).where('repository', '=', repository),
        db.selectFrom('manifests').select(['repository', 'digest', state, time]).where('repository', '=', repository),
        db.selectFrom('manifest_blobs').select(['repository', 'blob as digest', state, time]).where('repository', '=', repository).distinct(),
        db.selectFrom('recycle_bin_refs').select(['repository', 'ref as digest', state, time]).where('repository', '=', repository).distinct(),
      ] as const;
      for (const source of sources) {
        await db
          .insertInto('gc_link_states')
          .columns(['repository', 'digest', 'state', 'at'])
          .expression(source as never)
          .onConflict((oc) => oc.columns(['repository', 'digest']).doUpdateSet((eb) => ({ state: eb.ref('excluded.state'), at: eb.ref('excluded.at') })))
          .execute();
      }
    },

    async danglingLinks({ cutoffs, limit, after, only, among }) {
      let q = db
        .selectFrom('blob_links as l')
        .leftJoin('gc_link_states as s', (j) => j.onRef('s.repository', '=', 'l.repository').onRef('s.digest', '=', 'l.digest'))
        .select(['l.repository', 'l.digest', 'l.size'])
        .where((eb) => eb.not(eb.exists(eb.selectFrom('manifest_blobs as mb').select('mb.position').whereRef('mb.repository', '=', 'l.repository').whereRef('mb.blob', '=', 'l.digest'))))
        .where((eb) => eb.not(eb.exists(eb.selectFrom('manifests as m').select('m.size').whereRef('m.repository', '=', 'l.repository').whereRef('m.digest', '=', 'l.digest'))))
        // A soft-deleted manifest keeps its links until it expires (a restore needs them).
        .where((eb) => eb.not(eb.exists(eb.selectFrom('recycle_bin_refs as rb').select('rb.ref').whereRef('rb.repository', '=', 'l.repository').whereRef('rb.ref', '=', 'l.digest'))))
        .where(
          sql<boolean>`case when s.state = 'released' then s.at <= ${cutoffs.released}
            else coalesce(s.at, l.created_at) <= ${cutoffs.unreferenced}
              and not exists (select 1 from uploads u where u.repository = l.repository) end`,
        );
      if (after) q = q.where((eb) => eb(eb.refTuple('l.repository', 'l.digest'), '>', eb.tuple(after[0], after[1])));
      if (only) q = q.where('l.repository', '=', only.repository).where('l.digest', '=', only.digest);
      if (among) {
        if (among.length === 0) return [];
        checkBatch(among.map((l) => l.digest));
        // Grouped by repository (a page holds one or two): each group an index range of the key.
        const byRepository = new Map<string, string[]>();
        for (const l of among) byRepository.set(l.repository, [...(byRepository.get(l.repository) ?? []), l.digest]);
        q = q.where((eb) => eb.or([...byRepository].map(([repository, digests]) => eb.and([eb('l.repository', '=', repository), eb('l.digest', 'in', digests)]))));
      }
      const rows = await q.orderBy('l.repository').orderBy('l.digest').limit(limit).execute();
      return rows.map((r) => ({ repository: r.repository, digest: r.digest as Digest, size: Number(r.size) }));
    },

    async removeLink(repository, digest) {
      await db.deleteFrom('blob_links').where('repository', '=', repository).where('digest', '=', digest).execute();
      await db.deleteFrom('gc_link_states').where('repository', '=', repository).where('digest', '=', digest).execute();
    },

    async unreferenced(digests, options = {}) {
      if (digests.length === 0) return new Set();
      checkBatch(digests);
      const list = [...digests];
      const rows = await db
        .selectFrom('manifest_blobs')
        .select('blob as d')
        .where('blob', 'in', list)
        .$if(!options.ignoreLinks, (q) => q.union(db.selectFrom('blob_links').select('digest as d').where('digest', 'in', list)))
        .union(db.selectFrom('manifests').select('digest as d').where('digest', 'in', list))
        .union(db.selectFrom('manifest_children').select('child as d').where('child', 'in', list))
        .union(db.selectFrom('recycle_bin_refs').select('ref as d').where('ref', 'in', list))
        .execute();
      const referenced = new Set(rows.map((r) => r.d));
      return new Set(list.filter((d) => !referenced.has(d)));
    },

    async linkCounts(digests) {
      if (digests.length === 0) return new Map();
      checkBatch(digests);
      const rows = await db
        .selectFrom('blob_links')
        .select(['digest', (eb) => eb.fn.countAll<number>().as('n')])
        .where('digest', 'in', [...digests])
        .groupBy('digest')
        .execute();
      return new Map(rows.map((r) => [r.digest as Digest, Number(r.n)]));
    },

    async countPendingTombstones() {
      const row = await db.selectFrom('gc_tombstones').select((eb) => eb.fn.countAll<number>().as('n')).where('deleted_at', 'is', null).executeTakeFirst();
      return Number(row?.n ?? 0);
    },

    async releasedAt(digests) {
      if (digests.length === 0) return new Map();
      checkBatch(digests);
      const rows = await db
        .selectFrom('gc_link_states')
        .select(['digest', (eb) => eb.fn.max('at').as('at')])
        .where('state', '=', 'released')
        .where('digest', 'in', [...digests])
        .groupBy('digest')
        .execute();
      return new Map(rows.map((r) => [r.digest as Digest, Number(r.at)]));
    },

    async forgetReleases(digests) {
      if (digests.length === 0) return;
      checkBatch(digests);
      await db
        .deleteFrom('gc_link_states as s')
        .where('s.digest', 'in', [...digests])
        .where((eb) => eb.not(eb.exists(eb.selectFrom('blob_links as l').select('l.size').whereRef('l.repository', '=', 's.repository').whereRef('l.digest', '=', 's.digest'))))
        .execute();
    },

    async tombstone(blobs) {
      if (blobs.length === 0) return;
      const at = Date.now();
      await db
        .insertInto('gc_tombstones')
        .values(blobs.map((b) => ({ digest: b.digest, size: b.size, marked_at: at, deleted_at: null })))
        .onConflict((oc) => oc.column('digest').doNothing())
        .execute();
    },

    async pendingTombstones(limit, after) {
      let q = db.selectFrom('gc_tombstones').selectAll().where('deleted_at', 'is', null);
      if (after) q = q.where('digest', '>', after);
      return (await q.orderBy('digest').limit(limit).execute()).map(tombstoneOf);
    },

    async getTombstone(digest) {
      const row = await db.selectFrom('gc_tombstones').selectAll().where('digest', '=', digest).executeTakeFirst();
      return row && tombstoneOf(row);
    },

    async markDeleted(digest) {
      await db.updateTable('gc_tombstones').set({ deleted_at: Date.now() }).where('digest', '=', digest).execute();
    },

    async pruneTombstones(before) {
      const r = await db.deleteFrom('gc_tombstones').where('deleted_at', 'is not', null).where('deleted_at', '<', before.getTime()).executeTakeFirst();
      return Number(r.numDeletedRows);
    },

    async startRun({ id, dryRun, gracePeriodMs }) {
      // Called under the collector lock: a run still marked running died with its collector.
      await db.updateTable('gc_runs').set({ status: 'failed', finished_at: Date.now(), error: 'interrupted (its collector stopped before finishing)' }).where('status', '=', 'running').execute();
      await db.insertInto('gc_runs').values({ id, started_at: Date.now(), finished_at: null, status: 'running', dry_run: dryRun ? 1 : 0, grace_ms: gracePeriodMs, summary: null, error: null }).execute();
    },

    async progressRun(id, summary) {
      await db.updateTable('gc_runs').set({ summary: JSON.stringify(summary) }).where('id', '=', id).where('status', '=', 'running').execute();
    },

    async finishRun(id, outcome) {
      await db
        .updateTable('gc_runs')
        .set({ finished_at: Date.now(), status: outcome.status, summary: outcome.summary === undefined ? null : JSON.stringify(outcome.summary), error: outcome.error ?? null })
        .where('id', '=', id)
        .execute();
    },

    async runs(n) {
      const rows = await db.selectFrom('gc_runs').selectAll().orderBy('started_at', 'desc').orderBy('id', 'desc').limit(Math.max(0, Math.min(n, 100))).execute();
      return rows.map(
        (r): GcRunRecord => ({
          id: r.id,
          startedAt: new Date(Number(r.started_at)),
          ...(r.finished_at !== null ? { finishedAt: new Date(Number(r.finished_at)) } : {}),
          status: r.status,
          dryRun: r.dry_run === 1,
          gracePeriodMs: Number(r.grace_ms),
          ...(r.summary !== null ? { summary: JSON.parse(r.summary) } : {}),
          ...(r.error !== null ? { error: r.error } : {}),
        }),
      );
    },

    async exclusive(fn) {
      if (!postgres) return { ran: true, value: await fn() };
      // A session lock on one pooled connection held for the run: released when the run ends,
      // or by PostgreSQL when that connection (or the node) dies.
      return db.connection().execute(async (conn) => {
        const got = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${COLLECTOR_LOCK_CLASS}::int4, hashtext(current_schema())) as ok`.execute(conn);
        if (!got.rows[0]?.ok) return { ran: false as const };
        try {
          return { ran: true as const, value: await fn() };
        } finally {
          await sql`select pg_advisory_unlock(${COLLECTOR_LOCK_CLASS}::int4, hashtext(current_schema()))`.execute(conn);
        }
      });
    },
  };
}
