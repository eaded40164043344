/** RegistryTokenStore on SQL (contract: ../identity-store.ts). */
import { randomUUID } from 'node:crypto';
import type { PasswordName, RegistryTokenStore, TokenRecord } from '../identity-store.ts';
import type { IdentityDatabase, RegistryTokensTable } from '../tables.ts';
import type { Kysely } from 'kysely';
import { atomically } from '../../../metadata/sql/common.ts';

type Db = Kysely<IdentityDatabase>;

export function createRegistryTokenStore(db: Db): RegistryTokenStore {
  async function load(rows: RegistryTokensTable[]): Promise<TokenRecord[]> {
    if (rows.length === 0) return [];
    const passwords = await db
      .selectFrom('token_passwords')
      .selectAll()
      .where('token_id', 'in', rows.map((r) => r.id))
      .orderBy('name')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      scopeMap: r.scope_map,
      status: r.status === 'disabled' ? 'disabled' : 'enabled',
      passwords: passwords
        .filter((p) => p.token_id === r.id)
        .map((p) => ({
          name: p.name as PasswordName,
          hash: p.hash,
          ...(p.expiry === null ? {} : { expiry: new Date(p.expiry) }),
          createdAt: new Date(p.created_at),
        })),
      createdAt: new Date(r.created_at),
      updatedAt: new Date(r.updated_at),
    }));
  }
  const one = async (where: 'name' | 'id', value: string) =>
    (await load(await db.selectFrom('registry_tokens').selectAll().where(where, '=', value).execute()))[0];

  return {
    async create(name, scopeMap, status) {
      const now = Date.now();
      const row = { id: randomUUID(), name, scope_map: scopeMap, status, created_at: now, updated_at: now };
      const r = await db.insertInto('registry_tokens').values(row).onConflict((oc) => oc.column('name').doNothing()).executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0 ? { ...(await one('id', row.id))! } : undefined;
    },
    get: (name) => one('name', name),
    getById: (id) => one('id', id),
    async list() {
      return load(await db.selectFrom('registry_tokens').selectAll().orderBy('name').execute());
    },
    async usingScopeMap(scopeMap) {
      return (await db.selectFrom('registry_tokens').select('name').where('scope_map', '=', scopeMap).orderBy('name').execute()).map((r) => r.name);
    },
    async update(name, patch) {
      const set: Partial<RegistryTokensTable> = { updated_at: Date.now() };
      if (patch.status) set.status = patch.status;
      if (patch.scopeMap) set.scope_map = patch.scopeMap;
      await db.updateTable('registry_tokens').set(set).where('name', '=', name).execute();
      return one('name', name);
    },
    async setPassword(tokenId, p) {
      await atomically(db, async (tx) => {
        await tx.deleteFrom('token_passwords').where('token_id', '=', tokenId).where('name', '=', p.name).execute();
        await tx
          .insertInto('token_passwords')
          .values({ token_id: tokenId, name: p.name, hash: p.hash, expiry: p.expiry ? p.expiry.getTime() : null, created_at: Date.now() })
          .execute();
        await tx.updateTable('registry_tokens').set({ updated_at: Date.now() }).where('id', '=', tokenId).execute();
      });
    },
    async removePassword(tokenId, name) {
      const r = await db.deleteFrom('token_passwords').where('token_id', '=', tokenId).where('name', '=', name).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async delete(name) {
      return atomically(db, async (tx) => {
        const t = await tx.selectFrom('registry_tokens').select('id').where('name', '=', name).executeTakeFirst();
        if (!t) return false;
        await tx.deleteFrom('token_passwords').where('token_id', '=', t.id).execute();
        await tx.deleteFrom('registry_tokens').where('id', '=', t.id).execute();
        return true;
      });
    },
  };
}
