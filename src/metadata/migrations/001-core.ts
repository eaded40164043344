/**
 * 001-core: repositories, blob links, manifests (+ their blob and child references), tags,
 * upload sessions, settings and the audit log. Described table by table in docs/storage.md.
 *
 * Schema builder only (plus keyText for byte-wise key ordering), so it runs on both dialects.
 * Lookup indexes end with the column their queries order by (e.g. (repository, blob, manifest)),
 * so one index answers both the filter and the order and the planner never prefers walking a
 * whole repository's primary key to avoid a sort (src/metadata/query-plans.test.ts checks).
 *
 * Repository-scoped rows reference repositories(name) ON DELETE CASCADE, and reference rows
 * reference their manifest, so a repository delete can never leave orphans; the role objects
 * still delete explicitly, to return what was removed.
 */
import type { Kysely } from 'kysely';
import { keyText, withAttributes } from './helpers.ts';

export async function up(db: Kysely<any>): Promise<void> {
  const key = keyText(db);

  await withAttributes(
    db.schema
      .createTable('repositories')
      .addColumn('name', key, (c) => c.primaryKey()),
  )
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('blob_links')
    .addColumn('repository', key, (c) => c.notNull().references('repositories.name').onDelete('cascade'))
    .addColumn('digest', key, (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('blob_links_pk', ['repository', 'digest'])
    .execute();
  // isLinkedAnywhere (garbage collection) looks blobs up across repositories.
  await db.schema.createIndex('blob_links_digest').on('blob_links').column('digest').execute();

  await withAttributes(
    db.schema
      .createTable('manifests')
      .addColumn('repository', key, (c) => c.notNull().references('repositories.name').onDelete('cascade'))
      .addColumn('digest', key, (c) => c.notNull())
      .addColumn('media_type', 'text', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('artifact_type', 'text')
      .addColumn('subject', key)
      .addColumn('config_digest', key)
      .addColumn('config_media_type', 'text')
      .addColumn('architecture', 'text')
      .addColumn('os', 'text')
      .addColumn('image_size', 'bigint', (c) => c.notNull())
      .addColumn('annotations', 'text'),
  )
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('manifests_pk', ['repository', 'digest'])
    .execute();
  await db.schema.createIndex('manifests_subject').on('manifests').columns(['repository', 'subject', 'digest']).execute();
  await db.schema.createIndex('manifests_updated').on('manifests').columns(['repository', 'updated_at', 'digest']).execute();

  await db.schema
    .createTable('manifest_blobs')
    .addColumn('repository', key, (c) => c.notNull())
    .addColumn('manifest', key, (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('blob', key, (c) => c.notNull())
    .addPrimaryKeyConstraint('manifest_blobs_pk', ['repository', 'manifest', 'position'])
    .addForeignKeyConstraint('manifest_blobs_manifest_fk', ['repository', 'manifest'], 'manifests', ['repository', 'digest'], (c) =>
      c.onDelete('cascade'),
    )
    .execute();
  // The gate asks "which manifests of this repository reference this blob".
  await db.schema.createIndex('manifest_blobs_blob').on('manifest_blobs').columns(['repository', 'blob', 'manifest']).execute();

  await db.schema
    .createTable('manifest_children')
    .addColumn('repository', key, (c) => c.notNull())
    .addColumn('manifest', key, (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('child', key, (c) => c.notNull())
    .addColumn('architecture', 'text')
    .addColumn('os', 'text')
    .addPrimaryKeyConstraint('manifest_children_pk', ['repository', 'manifest', 'position'])
    .addForeignKeyConstraint('manifest_children_manifest_fk', ['repository', 'manifest'], 'manifests', ['repository', 'digest'], (c) =>
      c.onDelete('cascade'),
    )
    .execute();
  await db.schema.createIndex('manifest_children_child').on('manifest_children').columns(['repository', 'child', 'manifest']).execute();

  await withAttributes(
    db.schema
      .createTable('tags')
      .addColumn('repository', key, (c) => c.notNull())
      .addColumn('name', key, (c) => c.notNull())
      .addColumn('digest', key, (c) => c.notNull()),
  )
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('tags_pk', ['repository', 'name'])
    .addForeignKeyConstraint('tags_manifest_fk', ['repository', 'digest'], 'manifests', ['repository', 'digest'], (c) =>
      c.onDelete('cascade'),
    )
    .execute();
  await db.schema.createIndex('tags_digest').on('tags').columns(['repository', 'digest', 'name']).execute();
  await db.schema.createIndex('tags_updated').on('tags').columns(['repository', 'updated_at', 'name']).execute();

  // No foreign key: an upload may start before its repository exists (the repository is
  // created when the first blob is linked).
  await db.schema
    .createTable('uploads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('repository', key, (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('uploads_updated').on('uploads').columns(['updated_at', 'id']).execute();
  await db.schema.createIndex('uploads_repository').on('uploads').column('repository').execute();

  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('audit')
    .addColumn('id', key, (c) => c.primaryKey())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('before_json', 'text')
    .addColumn('after_json', 'text')
    .addColumn('details_json', 'text')
    .addColumn('request_id', 'text')
    .execute();
  await db.schema.createIndex('audit_at').on('audit').columns(['at', 'id']).execute();
  await db.schema.createIndex('audit_action').on('audit').columns(['action', 'at', 'id']).execute();
  await db.schema.createIndex('audit_actor').on('audit').columns(['actor', 'at', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['audit', 'settings', 'uploads', 'tags', 'manifest_children', 'manifest_blobs', 'manifests', 'blob_links', 'repositories']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
