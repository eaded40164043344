/** ScopeMapStore, TrustedIssuerStore and SigningKeyStore on SQL (contract: ../identity-store.ts). */
import type { ScopeMapRecord, ScopeMapStore, SigningKeyStore, TrustedIssuerRecord, TrustedIssuerStore } from '../identity-store.ts';
import type { IdentityDatabase, ScopeMapsTable, TrustedIssuersTable } from '../tables.ts';
import type { Kysely } from 'kysely';
import { atomically } from '../../../metadata/sql/common.ts';

type Db = Kysely<IdentityDatabase>;

const toScopeMap = (r: ScopeMapsTable): ScopeMapRecord => ({
  name: r.name,
  description: r.description,
  actions: JSON.parse(r.actions) as string[],
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});

export function createScopeMapStore(db: Db): ScopeMapStore {
  const get = async (name: string) => {
    const r = await db.selectFrom('scope_maps').selectAll().where('name', '=', name).executeTakeFirst();
    return r && toScopeMap(r);
  };
  return {
    get,
    async list() {
      return (await db.selectFrom('scope_maps').selectAll().orderBy('name').execute()).map(toScopeMap);
    },
    async put(name, description, actions) {
      return atomically(db, async (tx) => {
        const now = Date.now();
        const json = JSON.stringify(actions);
        const existing = await tx.selectFrom('scope_maps').select('name').where('name', '=', name).executeTakeFirst();
        if (existing) await tx.updateTable('scope_maps').set({ description, actions: json, updated_at: now }).where('name', '=', name).execute();
        else await tx.insertInto('scope_maps').values({ name, description, actions: json, created_at: now, updated_at: now }).execute();
        const r = await tx.selectFrom('scope_maps').selectAll().where('name', '=', name).executeTakeFirstOrThrow();
        return { created: !existing, record: toScopeMap(r) };
      });
    },
    async delete(name) {
      const r = await db.deleteFrom('scope_maps').where('name', '=', name).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
  };
}

const toIssuer = (r: TrustedIssuersTable): TrustedIssuerRecord => ({
  name: r.name,
  config: JSON.parse(r.config) as Record<string, unknown>,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});

export function createTrustedIssuerStore(db: Db): TrustedIssuerStore {
  return {
    async get(name) {
      const r = await db.selectFrom('trusted_issuers').selectAll().where('name', '=', name).executeTakeFirst();
      return r && toIssuer(r);
    },
    async list() {
      return (await db.selectFrom('trusted_issuers').selectAll().orderBy('name').execute()).map(toIssuer);
    },
    async put(name, config) {
      return atomically(db, async (tx) => {
        const now = Date.now();
        const json = JSON.stringify(config);
        const existing = await tx.selectFrom('trusted_issuers').select('name').where('name', '=', name).executeTakeFirst();
        if (existing) await tx.updateTable('trusted_issuers').set({ config: json, updated_at: now }).where('name', '=', name).execute();
        else await tx.insertInto('trusted_issuers').values({ name, config: json, created_at: now, updated_at: now }).execute();
        const r = await tx.selectFrom('trusted_issuers').selectAll().where('name', '=', name).executeTakeFirstOrThrow();
        return { created: !existing, record: toIssuer(r) };
      });
    },
    async delete(name) {
      const r = await db.deleteFrom('trusted_issuers').where('name', '=', name).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
  };
}

export function createSigningKeyStore(db: Db): SigningKeyStore {
  return {
    async list() {
      const rows = await db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').orderBy('kid', 'desc').execute();
      return rows.map((r) => ({
        kid: r.kid,
        alg: 'ES256' as const,
        privateJwk: JSON.parse(r.private_jwk) as Record<string, unknown>,
        publicJwk: JSON.parse(r.public_jwk) as Record<string, unknown>,
        createdAt: new Date(r.created_at),
        ...(r.retired_at === null ? {} : { retiredAt: new Date(r.retired_at) }),
      }));
    },
    async add(key) {
      await db
        .insertInto('signing_keys')
        .values({
          kid: key.kid,
          alg: key.alg,
          private_jwk: JSON.stringify(key.privateJwk),
          public_jwk: JSON.stringify(key.publicJwk),
          created_at: key.createdAt.getTime(),
          retired_at: null,
        })
        .execute();
    },
    async retireAllExcept(keep, at) {
      await db.updateTable('signing_keys').set({ retired_at: at.getTime() }).where('kid', '!=', keep).where('retired_at', 'is', null).execute();
    },
    async purgeRetired(before) {
      const r = await db.deleteFrom('signing_keys').where('retired_at', '<', before.getTime()).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
