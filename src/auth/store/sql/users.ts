/** UserStore and RoleAssignmentStore on SQL (contract: ../identity-store.ts). */
import { randomUUID } from 'node:crypto';
import type { RoleName } from '../../../access/roles.ts';
import type { RoleAssignmentRecord, RoleAssignmentStore, UserRecord, UserStore } from '../identity-store.ts';
import type { IdentityDatabase, UsersTable } from '../tables.ts';
import type { Kysely } from 'kysely';
import { atomically } from '../../../metadata/sql/common.ts';

type Db = Kysely<IdentityDatabase>;

const toUser = (r: UsersTable): UserRecord => ({
  id: r.id,
  name: r.name,
  passwordHash: r.password_hash,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});

export function createUserStore(db: Db): UserStore {
  return {
    async create(name, passwordHash) {
      const now = Date.now();
      const row = { id: randomUUID(), name, password_hash: passwordHash, created_at: now, updated_at: now };
      const r = await db.insertInto('users').values(row).onConflict((oc) => oc.column('name').doNothing()).executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0 ? toUser(row) : undefined;
    },
    async get(name) {
      const r = await db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
      return r && toUser(r);
    },
    async getById(id) {
      const r = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toUser(r);
    },
    async list() {
      return (await db.selectFrom('users').selectAll().orderBy('name').execute()).map(toUser);
    },
    async count() {
      const r = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async setPasswordHash(name, passwordHash) {
      const r = await db.updateTable('users').set({ password_hash: passwordHash, updated_at: Date.now() }).where('name', '=', name).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async delete(name) {
      return atomically(db, async (tx) => {
        const user = await tx.selectFrom('users').select('id').where('name', '=', name).executeTakeFirst();
        if (!user) return false;
        await tx.deleteFrom('role_assignments').where('user_id', '=', user.id).execute();
        await tx.deleteFrom('users').where('id', '=', user.id).execute();
        return true;
      });
    },
  };
}

export function createRoleAssignmentStore(db: Db): RoleAssignmentStore {
  const select = () =>
    db
      .selectFrom('role_assignments as a')
      .innerJoin('users as u', 'u.id', 'a.user_id')
      .select(['a.id', 'a.user_id', 'u.name as user_name', 'a.role', 'a.repository', 'a.created_at']);
  const toRecord = (r: { id: string; user_id: string; user_name: string; role: string; repository: string; created_at: number }): RoleAssignmentRecord => ({
    id: r.id,
    userId: r.user_id,
    userName: r.user_name,
    role: r.role as RoleName,
    ...(r.repository === '' ? {} : { repository: r.repository }),
    createdAt: new Date(r.created_at),
  });
  return {
    async add(userId, role, repository) {
      await db
        .insertInto('role_assignments')
        .values({ id: randomUUID(), user_id: userId, role, repository: repository ?? '', created_at: Date.now() })
        .onConflict((oc) => oc.columns(['user_id', 'role', 'repository']).doNothing())
        .execute();
      const r = await select()
        .where('a.user_id', '=', userId)
        .where('a.role', '=', role)
        .where('a.repository', '=', repository ?? '')
        .executeTakeFirstOrThrow();
      return toRecord(r);
    },
    async listForUser(userId) {
      return (await select().where('a.user_id', '=', userId).orderBy('a.role').orderBy('a.repository').execute()).map(toRecord);
    },
    async list() {
      return (await select().orderBy('u.name').orderBy('a.role').orderBy('a.repository').execute()).map(toRecord);
    },
    async remove(userId, role, repository) {
      const r = await db
        .deleteFrom('role_assignments')
        .where('user_id', '=', userId)
        .where('role', '=', role)
        .where('repository', '=', repository ?? '')
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
  };
}
