/**
 * 011-pull-times: when each manifest of a repository was last pulled (retention's "unless
 * pulled in the last P days"). One row per (repository, manifest digest), written in batches by
 * each node's pull-time recorder (src/lifecycle/retention/pull-times.ts), never per request.
 * No foreign key: a row outliving its manifest is harmless and pruned by the next retention run.
 */
import type { Kysely } from 'kysely';
import { keyText } from '../../../metadata/migrations/helpers.ts';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('pull_times')
    .addColumn('repository', keyText(db), (c) => c.notNull())
    .addColumn('digest', keyText(db), (c) => c.notNull())
    .addColumn('pulled_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('pull_times_pk', ['repository', 'digest'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('pull_times').execute();
}
