/** LoginThrottleStore on SQL (contract: ../identity-store.ts): single conditional statements. */
import type { Kysely } from 'kysely';
import type { LoginThrottleStore } from '../identity-store.ts';
import type { IdentityDatabase } from '../tables.ts';

export function createLoginThrottleStore(db: Kysely<IdentityDatabase>): LoginThrottleStore {
  return {
    async get(key) {
      const r = await db.selectFrom('login_throttle').select(['failures', 'blocked_until', 'updated_at']).where('key', '=', key).executeTakeFirst();
      return r && { failures: Number(r.failures), blockedUntil: Number(r.blocked_until), updatedAt: Number(r.updated_at) };
    },
    async ensure(key, now) {
      await db.insertInto('login_throttle').values({ key, failures: 0, blocked_until: 0, updated_at: now }).onConflict((oc) => oc.column('key').doNothing()).execute();
    },
    async compareAndSet(key, expected, next) {
      const r = await db
        .updateTable('login_throttle')
        .set({ failures: next.failures, blocked_until: next.blockedUntil, updated_at: next.updatedAt })
        .where('key', '=', key)
        .where('failures', '=', expected.failures)
        .where('updated_at', '=', expected.updatedAt)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    async refund(key) {
      await db.updateTable('login_throttle').set((eb) => ({ failures: eb('failures', '-', 1) })).where('key', '=', key).where('failures', '>', 0).execute();
    },
    async delete(key) {
      await db.deleteFrom('login_throttle').where('key', '=', key).execute();
    },
    async prune(before, now) {
      const r = await db.deleteFrom('login_throttle').where('updated_at', '<', before).where('blocked_until', '<=', now).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
