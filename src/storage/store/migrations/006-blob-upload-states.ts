/**
 * 006-blob-upload-states: the state of open uploads that a BlobStore driver shares across
 * nodes (src/storage/upload-states.ts). Schema builder only: both dialects.
 */
import type { Kysely } from 'kysely';
import { keyText } from '../../../metadata/migrations/helpers.ts';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('blob_upload_states')
    .addColumn('id', keyText(db), (c) => c.primaryKey())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('blob_upload_states_updated_at').on('blob_upload_states').column('updated_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('blob_upload_states').execute();
}
