/**
 * 012-recycle-bin: soft-deleted manifests (docs/storage-lifecycle.md "Soft delete"). An entry
 * keeps the manifest's record and the tags it had; its reference rows keep what it references
 * alive for the collector until it is restored, purged or expires. Schema builder only.
 */
import type { Kysely } from 'kysely';
import { keyText } from '../../../metadata/migrations/helpers.ts';

export async function up(db: Kysely<any>): Promise<void> {
  const key = keyText(db);
  // A repository delete is permanent: its bin entries go with it (their blobs are released by
  // the repository delete like the rest of its content).
  await db.schema
    .createTable('recycle_bin')
    .addColumn('repository', key, (c) => c.notNull().references('repositories.name').onDelete('cascade'))
    .addColumn('digest', key, (c) => c.notNull())
    .addColumn('deleted_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('deleted_by', 'text', (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    /** JSON: the manifest record (ManifestInput, attributes, createdAt). */
    .addColumn('record', 'text', (c) => c.notNull())
    /** JSON: the tags it had, with their attributes. */
    .addColumn('tags', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('recycle_bin_pk', ['repository', 'digest'])
    .execute();
  await db.schema.createIndex('recycle_bin_expires').on('recycle_bin').columns(['expires_at', 'repository', 'digest']).execute();
  // What an entry references (its own digest, config, layers, children): the collector's
  // "referenced?" questions look here by digest, and by (repository, digest) for links.
  await db.schema
    .createTable('recycle_bin_refs')
    .addColumn('repository', key, (c) => c.notNull())
    .addColumn('ref', key, (c) => c.notNull())
    .addColumn('manifest', key, (c) => c.notNull())
    .addPrimaryKeyConstraint('recycle_bin_refs_pk', ['repository', 'ref', 'manifest'])
    .addForeignKeyConstraint('recycle_bin_refs_entry', ['repository', 'manifest'], 'recycle_bin', ['repository', 'digest'], (fk) => fk.onDelete('cascade'))
    .execute();
  await db.schema.createIndex('recycle_bin_refs_ref').on('recycle_bin_refs').column('ref').execute();
  await db.schema.createIndex('recycle_bin_refs_manifest').on('recycle_bin_refs').columns(['repository', 'manifest']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('recycle_bin_refs').execute();
  await db.schema.dropTable('recycle_bin').execute();
}
