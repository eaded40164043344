/**
 * 005-scan: scanners, scan jobs and the orchestrator's report artifacts (src/scan/store/tables.ts).
 * Schema builder only: both dialects.
 */
import { sql, type Kysely } from 'kysely';
import { keyText } from '../../../metadata/migrations/helpers.ts';

export async function up(db: Kysely<any>): Promise<void> {
  const key = keyText(db);
  await db.schema
    .createTable('scanners')
    .addColumn('name', key, (c) => c.primaryKey())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('auth_kind', 'text', (c) => c.notNull())
    .addColumn('auth_secret', 'text')
    .addColumn('patterns', 'text', (c) => c.notNull())
    .addColumn('is_default', 'integer', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('health', 'text', (c) => c.notNull())
    .addColumn('health_message', 'text')
    .addColumn('checked_at', 'bigint')
    .addColumn('unreachable_since', 'bigint')
    .addColumn('metadata', 'text')
    .addColumn('db_updated_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('scan_jobs')
    .addColumn('id', key, (c) => c.primaryKey())
    .addColumn('repository', key, (c) => c.notNull())
    .addColumn('digest', key, (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('scanner', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('claimed_by', 'text')
    .addColumn('claimed_until', 'bigint')
    .addColumn('adapter_job_id', 'text')
    .addColumn('submitted_at', 'bigint')
    .addColumn('status_message', 'text')
    .addColumn('credential_hash', 'text')
    .addColumn('credential_expires_at', 'bigint')
    .addColumn('summary', 'text')
    .addColumn('report', 'text')
    .addColumn('db_updated_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .execute();
  // The dispatcher's claim: due rows by state and time.
  await db.schema.createIndex('scan_jobs_due').on('scan_jobs').columns(['state', 'next_attempt_at']).execute();
  // At most one active job per manifest (enqueue relies on it across nodes).
  await db.schema
    .createIndex('scan_jobs_active')
    .on('scan_jobs')
    .columns(['repository', 'digest'])
    .unique()
    .where(sql.ref('state'), 'in', ['pending', 'submitted'])
    .execute();
  // A manifest's scan history, newest first.
  await db.schema.createIndex('scan_jobs_subject').on('scan_jobs').columns(['repository', 'digest', 'created_at']).execute();

  await db.schema
    .createTable('scan_artifacts')
    .addColumn('repository', key, (c) => c.notNull())
    .addColumn('digest', key, (c) => c.notNull())
    .addColumn('subject', key, (c) => c.notNull())
    .addColumn('artifact_type', 'text', (c) => c.notNull())
    .addColumn('job_id', key, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('scan_artifacts_pk', ['repository', 'digest'])
    .execute();
  await db.schema.createIndex('scan_artifacts_subject').on('scan_artifacts').columns(['repository', 'subject']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('scan_artifacts').execute();
  await db.schema.dropTable('scan_jobs').execute();
  await db.schema.dropTable('scanners').execute();
}
