/** QuotaStore on SQL (contract: ../quota/quota-store.ts), SQLite and PostgreSQL. */
import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../../metadata/migrations/helpers.ts';
import type { QuotaStore } from '../quota/quota-store.ts';
import type { LifecycleDatabase } from './tables.ts';

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
      const links = await db.selectFrom('blob_links').select((eb) => eb.fn.coalesce(eb.fn.sum<number>('size'), sql<number>`0`).as('n')).where('repository', '=', repository).executeTakeFirst();
      const manifests = await db
        .selectFrom('manifests as m')
        .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('m.size'), sql<number>`0`).as('n'))
        .where('m.repository', '=', repository)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('blob_links as l').select('l.size').whereRef('l.repository', '=', 'm.repository').whereRef('l.digest', '=', 'm.digest'))))
        .executeTakeFirst();
      return Number(links?.n ?? 0) + Number(manifests?.n ?? 0);
    },
  };
}
