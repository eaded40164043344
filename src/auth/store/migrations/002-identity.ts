/**
 * 002-identity: users, role assignments, repository-scoped tokens and their passwords, scope
 * maps, trusted issuers and token-signing keys (src/auth/store/identity-store.ts).
 * Schema builder only, so it runs on both dialects.
 */
import type { Kysely } from 'kysely';
import { keyText } from '../../../metadata/migrations/helpers.ts';

export async function up(db: Kysely<any>): Promise<void> {
  const key = keyText(db);

  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', key, (c) => c.notNull().unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('role_assignments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('repository', key, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('role_assignments_unique', ['user_id', 'role', 'repository'])
    .execute();

  await db.schema
    .createTable('registry_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', key, (c) => c.notNull().unique())
    .addColumn('scope_map', key, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('token_passwords')
    .addColumn('token_id', 'text', (c) => c.notNull().references('registry_tokens.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('expiry', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('token_passwords_pk', ['token_id', 'name'])
    .execute();

  await db.schema
    .createTable('scope_maps')
    .addColumn('name', key, (c) => c.primaryKey())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('actions', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('trusted_issuers')
    .addColumn('name', key, (c) => c.primaryKey())
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('signing_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('alg', 'text', (c) => c.notNull())
    .addColumn('private_jwk', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('retired_at', 'bigint')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['signing_keys', 'trusted_issuers', 'scope_maps', 'token_passwords', 'registry_tokens', 'role_assignments', 'users']) {
    await db.schema.dropTable(t).execute();
  }
}
