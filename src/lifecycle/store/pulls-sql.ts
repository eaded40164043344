/** PullTimeStore on SQL (contract: ../retention/pull-time-store.ts), SQLite and PostgreSQL. */
import { sql, type Kysely } from 'kysely';
import type { Digest } from '../../oci/index.ts';
import { isPostgres } from '../../metadata/migrations/helpers.ts';
import { MAX_PULL_BATCH, type PullTimeStore } from '../retention/pull-time-store.ts';
import type { LifecycleDatabase } from './tables.ts';

function checkBatch(items: readonly unknown[]) {
  if (items.length > MAX_PULL_BATCH) throw new Error(`at most ${MAX_PULL_BATCH} pull times per call`);
}

export function createPullTimeStore(db: Kysely<LifecycleDatabase>): PullTimeStore {
  // The later of the stored and the new time: two nodes' flushes may arrive in either order.
  const later = isPostgres(db) ? sql<number>`greatest(pull_times.pulled_at, excluded.pulled_at)` : sql<number>`max(pull_times.pulled_at, excluded.pulled_at)`;
  return {
    async record(pulls) {
      if (pulls.length === 0) return;
      checkBatch(pulls);
      // One row per key in one statement (PostgreSQL refuses a key twice in one upsert).
      const latest = new Map<string, { repository: string; digest: string; pulled_at: number }>();
      for (const p of pulls) {
        const key = `${p.repository}\0${p.digest}`;
        const seen = latest.get(key);
        if (!seen || seen.pulled_at < p.pulledAt) latest.set(key, { repository: p.repository, digest: p.digest, pulled_at: p.pulledAt });
      }
      await db
        .insertInto('pull_times')
        .values([...latest.values()])
        .onConflict((oc) => oc.columns(['repository', 'digest']).doUpdateSet({ pulled_at: later }))
        .execute();
    },

    async lastPulled(repository, digests) {
      if (digests.length === 0) return new Map();
      checkBatch(digests);
      const rows = await db.selectFrom('pull_times').select(['digest', 'pulled_at']).where('repository', '=', repository).where('digest', 'in', [...digests]).execute();
      return new Map(rows.map((r) => [r.digest as Digest, Number(r.pulled_at)]));
    },

    async prune() {
      const r = await db
        .deleteFrom('pull_times as p')
        .where((eb) => eb.not(eb.exists(eb.selectFrom('manifests as m').select('m.size').whereRef('m.repository', '=', 'p.repository').whereRef('m.digest', '=', 'p.digest'))))
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
