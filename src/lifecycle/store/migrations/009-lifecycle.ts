/**
 * 009-lifecycle: garbage collection's state (tombstones, link states, runs) and the indexes its
 * "is this digest referenced anywhere?" questions need on the core's reference tables (their
 * own indexes lead with the repository). Schema builder only: both dialects.
 */
import type { Kysely } from 'kysely';
import { keyText } from '../../../metadata/migrations/helpers.ts';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('gc_tombstones')
    .addColumn('digest', keyText(db), (c) => c.primaryKey())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('marked_at', 'bigint', (c) => c.notNull())
    .addColumn('deleted_at', 'bigint')
    .execute();
  await db.schema.createIndex('gc_tombstones_deleted').on('gc_tombstones').columns(['deleted_at', 'digest']).execute();
  // No foreign key to repositories: a release outlives its repository (a deleted repository's
  // blobs are released, and collected once the grace period is over).
  await db.schema
    .createTable('gc_link_states')
    .addColumn('repository', keyText(db), (c) => c.notNull())
    .addColumn('digest', keyText(db), (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('gc_link_states_pk', ['repository', 'digest'])
    .execute();
  await db.schema.createIndex('gc_link_states_digest').on('gc_link_states').columns(['digest', 'at']).execute();
  await db.schema
    .createTable('gc_runs')
    .addColumn('id', keyText(db), (c) => c.primaryKey())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('dry_run', 'integer', (c) => c.notNull())
    .addColumn('grace_ms', 'bigint', (c) => c.notNull())
    .addColumn('summary', 'text')
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('gc_runs_started').on('gc_runs').columns(['started_at', 'id']).execute();
  await db.schema.createIndex('manifest_blobs_any_repository').on('manifest_blobs').column('blob').execute();
  await db.schema.createIndex('manifests_any_repository').on('manifests').column('digest').execute();
  await db.schema.createIndex('manifest_children_any_repository').on('manifest_children').column('child').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of ['manifest_blobs_any_repository', 'manifests_any_repository', 'manifest_children_any_repository']) await db.schema.dropIndex(index).execute();
  for (const table of ['gc_runs', 'gc_link_states', 'gc_tombstones']) await db.schema.dropTable(table).execute();
}
