/**
 * 023-any-repository-indexes: the collector's "in any repository" indexes (009-lifecycle) gain
 * the repository as their second column: manifests (digest, repository), manifest_blobs (blob,
 * repository), manifest_children (child, repository), and the recycle bin's references
 * (012-recycle-bin) recycle_bin_refs (ref, repository). Why: the content core reads those tables
 * by repository and digest (a manifest GET by digest reads manifests by its primary key), and
 * PostgreSQL's planner may take the one-column index for such a lookup when both estimate one
 * row; for a manifest pushed into 100,000 repositories that read 100,000 rows to keep one
 * (2026-12-06: a manifest GET by digest at 104 req/s instead of 2,176; bench/README.md "Cost as
 * the registry grows"). With the repository second, every index that can serve the lookup has
 * both columns as conditions; the collector's reads by digest alone use the prefix.
 */
import type { Kysely } from 'kysely';

const INDEXES = [
  { old: 'manifests_any_repository', name: 'manifests_by_digest', table: 'manifests', first: 'digest' },
  { old: 'manifest_blobs_any_repository', name: 'manifest_blobs_by_blob', table: 'manifest_blobs', first: 'blob' },
  { old: 'manifest_children_any_repository', name: 'manifest_children_by_child', table: 'manifest_children', first: 'child' },
  { old: 'recycle_bin_refs_ref', name: 'recycle_bin_refs_by_ref', table: 'recycle_bin_refs', first: 'ref' },
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const i of INDEXES) {
    await db.schema.createIndex(i.name).on(i.table).columns([i.first, 'repository']).execute();
    await db.schema.dropIndex(i.old).execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const i of INDEXES) {
    await db.schema.createIndex(i.old).on(i.table).column(i.first).execute();
    await db.schema.dropIndex(i.name).execute();
  }
}
