/**
 * 006-upload-owner: who opened each upload session (`opened_by`, the principal id; '' for
 * sessions from before), so open sessions can be bounded per principal as well as per
 * repository (src/distribution/upload-limits.ts). Schema builder only (both dialects).
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('uploads').addColumn('opened_by', 'text', (c) => c.notNull().defaultTo('')).execute();
  await db.schema.createIndex('uploads_opened_by').on('uploads').column('opened_by').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('uploads_opened_by').execute();
  await db.schema.alterTable('uploads').dropColumn('opened_by').execute();
}
