/**
 * 018-audit-target: an index on the audit log's target, so one image's entries (an exact
 * `<repository>@<digest>`, what GET .../manifests/{digest}/history reads) are found without
 * reading the whole log. The prefix search of GET /api/v1/audit stays as it was (substr, no
 * index): it is an operator's search, the history is read on every manifest page. Schema
 * builder only.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('audit_target').on('audit').columns(['target', 'at', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('audit_target').execute();
}
