/**
 * 022-blob-links-by-digest: the index on blob_links' digest gains the repository as its second
 * column. Why: a link is looked up by (repository, digest), its primary key, on every blob HEAD
 * and GET, and PostgreSQL's planner may answer that from the digest-only index instead (both
 * estimate one row), reading every repository's link of that digest and keeping one. It did so
 * for manifests (migration 023); for blob links it took the primary key in the measurement
 * (a layer linked in 100,000 repositories: blob HEAD flat, bench/README.md "Cost as the registry
 * grows"), but nothing holds it there. With (digest, repository) both columns are index
 * conditions in either index. "Is this digest linked anywhere" (the collector) still reads the
 * digest prefix.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('blob_links_by_digest').on('blob_links').columns(['digest', 'repository']).execute();
  await db.schema.dropIndex('blob_links_digest').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('blob_links_digest').on('blob_links').column('digest').execute();
  await db.schema.dropIndex('blob_links_by_digest').execute();
}
