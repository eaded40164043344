/** Quarantine verdicts (src/quarantine/store/tables.ts). Schema builder only: runs on SQLite and PostgreSQL. */
import type { Kysely } from 'kysely';
import { keyText } from '../../../metadata/migrations/helpers.ts';

export async function up(db: Kysely<any>): Promise<void> {
  const key = keyText(db);
  // No foreign key to manifests: verdicts outlive manifest and repository deletes (sticky).
  await db.schema
    .createTable('verdicts')
    .addColumn('repository', key, (c) => c.notNull())
    .addColumn('digest', key, (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('details', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('verdicts_pk', ['repository', 'digest'])
    .execute();
  await db.schema.createIndex('verdicts_state').on('verdicts').columns(['state', 'repository']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('verdicts').execute();
}
