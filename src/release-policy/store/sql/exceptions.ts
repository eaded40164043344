/** ExceptionStore (../../policy-store.ts) on Kysely, both dialects. */
import type { Kysely } from 'kysely';
import type { ReleasePolicyDatabase, PolicyExceptionsTable } from '../tables.ts';
import type { ExceptionRecord, ExceptionScope, ExceptionStatus, ExceptionStore } from '../../policy-store.ts';

const date = (v: number | null) => (v === null ? undefined : new Date(Number(v)));

const toException = (r: PolicyExceptionsTable): ExceptionRecord => {
  const out: ExceptionRecord = {
    id: r.id,
    vulnerability: r.vulnerability,
    scope: r.scope as ExceptionScope,
    reason: r.reason,
    owner: r.owner,
    createdAt: new Date(Number(r.created_at)),
    expiresAt: new Date(Number(r.expires_at)),
    status: r.status as ExceptionStatus,
  };
  if (r.repository !== null) out.repository = r.repository;
  if (r.digest !== null) out.digest = r.digest;
  if (r.ticket !== null) out.ticket = r.ticket;
  if (r.approved_by !== null) out.approvedBy = r.approved_by;
  if (r.revoked_by !== null) out.revokedBy = r.revoked_by;
  const approvedAt = date(r.approved_at);
  if (approvedAt) out.approvedAt = approvedAt;
  const revokedAt = date(r.revoked_at);
  if (revokedAt) out.revokedAt = revokedAt;
  return out;
};

export function createExceptionStore(db: Kysely<ReleasePolicyDatabase>): ExceptionStore {
  const get = async (id: string) => {
    const row = await db.selectFrom('policy_exceptions').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toException(row);
  };
  return {
    get,
    async create(input) {
      const now = Date.now();
      await db
        .insertInto('policy_exceptions')
        .values({
          id: input.id,
          vulnerability: input.vulnerability,
          scope: input.scope,
          repository: input.repository ?? null,
          digest: input.digest ?? null,
          reason: input.reason,
          ticket: input.ticket ?? null,
          owner: input.owner,
          created_at: now,
          expires_at: input.expiresAt.getTime(),
          status: input.status,
          approved_by: null,
          approved_at: null,
          revoked_by: null,
          revoked_at: null,
        })
        .execute();
      return (await get(input.id))!;
    },
    async list(options = {}) {
      let q = db.selectFrom('policy_exceptions').selectAll();
      if (options.status?.length) q = q.where('status', 'in', options.status);
      return (await q.orderBy('created_at', 'desc').orderBy('id').limit(options.n ?? 500).execute()).map(toException);
    },
    async active(now) {
      return (await db.selectFrom('policy_exceptions').selectAll().where('status', '=', 'active').where('expires_at', '>', now.getTime()).execute()).map(toException);
    },
    async approve(id, by, at) {
      const r = await db.updateTable('policy_exceptions').set({ status: 'active', approved_by: by, approved_at: at.getTime() }).where('id', '=', id).where('status', '=', 'pending').executeTakeFirst();
      return Number(r.numUpdatedRows) > 0 ? get(id) : undefined;
    },
    async revoke(id, by, at) {
      const r = await db.updateTable('policy_exceptions').set({ status: 'revoked', revoked_by: by, revoked_at: at.getTime() }).where('id', '=', id).where('status', '!=', 'revoked').executeTakeFirst();
      return Number(r.numUpdatedRows) > 0 ? get(id) : undefined;
    },
  };
}
