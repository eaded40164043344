/** ReevaluationQueue (../../reevaluation-queue.ts) on Kysely, both dialects. Claims follow the scan jobs' (src/scan/store/sql/jobs.ts). */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../../../metadata/migrations/helpers.ts';
import type { ReevaluationsTable, ReleasePolicyDatabase } from '../tables.ts';
import type { ClaimedReevaluation, ReevaluationJob, ReevaluationQueue } from '../../reevaluation-queue.ts';

const toJob = (r: ReevaluationsTable): ReevaluationJob => ({
  id: r.id,
  patterns: JSON.parse(r.patterns) as string[],
  why: r.why,
  createdAt: new Date(Number(r.created_at)),
  ...(r.cursor !== null ? { cursor: r.cursor } : {}),
  attempts: Number(r.attempts),
});

export function createReevaluationQueue(db: Kysely<ReleasePolicyDatabase>): ReevaluationQueue {
  const postgres = isPostgres(db);
  return {
    async enqueue(input, now = new Date()) {
      const row: ReevaluationsTable = { id: randomUUID(), patterns: JSON.stringify(input.patterns), why: input.why, created_at: now.getTime(), cursor: null, attempts: 0, claimed_by: null, claimed_until: null };
      await db.insertInto('release_reevaluations').values(row).execute();
      return toJob(row);
    },

    async claim({ now, leaseMs }) {
      const t = now.getTime();
      const token = randomUUID();
      // One statement: the oldest claimable job (SKIP LOCKED on PostgreSQL, so two nodes
      // claiming at once take different jobs or one waits for nothing).
      const lock = postgres ? sql`for update skip locked` : sql``;
      await sql`
        update release_reevaluations set claimed_by = ${token}, claimed_until = ${t + leaseMs}, attempts = attempts + 1
        where id in (
          select j.id from release_reevaluations j
          where j.claimed_until is null or j.claimed_until < ${t}
          order by j.created_at, j.id
          limit 1
          ${lock}
        )`.execute(db);
      const row = await db.selectFrom('release_reevaluations').selectAll().where('claimed_by', '=', token).executeTakeFirst();
      return row ? { ...toJob(row), claimToken: token } : undefined;
    },

    async progress(claim: ClaimedReevaluation, cursor, until) {
      const r = await db.updateTable('release_reevaluations').set({ cursor, claimed_until: until.getTime() }).where('id', '=', claim.id).where('claimed_by', '=', claim.claimToken).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    async finish(claim) {
      const r = await db.deleteFrom('release_reevaluations').where('id', '=', claim.id).where('claimed_by', '=', claim.claimToken).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    async pending() {
      const r = await db.selectFrom('release_reevaluations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    },
  };
}
