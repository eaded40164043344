/** Release policies, their versions, evaluations and exceptions (../tables.ts). Schema builder only: both dialects. */
import type { Kysely } from 'kysely';
import { keyText } from '../../../metadata/migrations/helpers.ts';

export async function up(db: Kysely<any>): Promise<void> {
  const key = keyText(db);
  await db.schema
    .createTable('release_policies')
    .addColumn('name', key, (c) => c.primaryKey())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('release_policy_versions')
    .addColumn('name', key, (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('document', 'text')
    .addColumn('changed_at', 'bigint', (c) => c.notNull())
    .addColumn('changed_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('release_policy_versions_pk', ['name', 'version'])
    .execute();
  // No foreign key to manifests: like verdicts, an evaluation describes content.
  await db.schema
    .createTable('release_evaluations')
    .addColumn('repository', key, (c) => c.notNull())
    .addColumn('digest', key, (c) => c.notNull())
    .addColumn('policy', key, (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('passed', 'integer', (c) => c.notNull())
    .addColumn('rules', 'text', (c) => c.notNull())
    .addColumn('evaluated_at', 'bigint', (c) => c.notNull())
    .addColumn('violating_since', 'bigint')
    .addColumn('requarantine_at', 'bigint')
    .addPrimaryKeyConstraint('release_evaluations_pk', ['repository', 'digest'])
    .execute();
  await db.schema.createIndex('release_evaluations_requarantine').on('release_evaluations').column('requarantine_at').execute();
  await db.schema.createIndex('release_evaluations_policy').on('release_evaluations').column('policy').execute();
  await db.schema
    .createTable('policy_exceptions')
    .addColumn('id', key, (c) => c.primaryKey())
    .addColumn('vulnerability', key, (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('repository', 'text')
    .addColumn('digest', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('ticket', 'text')
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('approved_by', 'text')
    .addColumn('approved_at', 'bigint')
    .addColumn('revoked_by', 'text')
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('policy_exceptions_status').on('policy_exceptions').columns(['status', 'expires_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['policy_exceptions', 'release_evaluations', 'release_policy_versions', 'release_policies']) await db.schema.dropTable(t).execute();
}
