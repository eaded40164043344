/** QuotaStore on SQL (contract: ../quota/quota-store.ts), SQLite and PostgreSQL. */
import { sql, type Kysely } from 'kysely';
import { atomically } from '../../metadata/sql/common.ts';
import { isPostgres } from '../../metadata/migrations/helpers.ts';
import type { QuotaStore } from '../quota/quota-store.ts';
import type { LifecycleDatabase } from './tables.ts';
import { countedUsage } from './usage-count.ts';

/** The advisory-lock class of quota checks ('LZQU'). */
const QUOTA_LOCK_CLASS = 0x4c5a5155;

export function createQuotaStore(db: Kysely<LifecycleDatabase>): QuotaStore {
  const postgres = isPostgres(db);
  return {
    async lock(repository) {
      if (!postgres) return;
      await sql`select pg_advisory_xact_lock(${QUOTA_LOCK_CLASS}::int4, hashtext(${repository}))`.execute(db);
    },

    async usage(repository) {
      const row = await db.selectFrom('repository_usage').select('bytes').where('repository', '=', repository).executeTakeFirst();
      return Number(row?.bytes ?? 0);
    },

    async recount(repository) {
      return atomically(db, async (tx) => {
        if (!(await tx.selectFrom('repositories').select('name').where('name', '=', repository).executeTakeFirst())) return undefined;
        // The row first, then its lock, then the count: a change committing meanwhile has either
        // already added to the row (and the count, a later statement, sees it) or waits for this
        // transaction and adds to the corrected total. Counting first could overwrite its delta.
        await tx.insertInto('repository_usage').values({ repository, bytes: 0 }).onConflict((oc) => oc.column('repository').doNothing()).execute();
        const stored = await tx
          .selectFrom('repository_usage')
          .select('bytes')
          .where('repository', '=', repository)
          .$if(postgres, (q) => q.forUpdate())
          .executeTakeFirstOrThrow();
        const row = await tx.selectNoFrom([countedUsage(sql.val(repository)).as('n')]).executeTakeFirstOrThrow();
        const counted = Number(row.n);
        if (counted !== Number(stored.bytes)) await tx.updateTable('repository_usage').set({ bytes: counted }).where('repository', '=', repository).execute();
        return { repository, stored: Number(stored.bytes), counted };
      });
    },
  };
}
