/** The durable re-evaluation queue (../tables.ts ReevaluationsTable, ../../reevaluation-queue.ts). Schema builder only: both dialects. */
import type { Kysely } from 'kysely';
import { keyText } from '../../../metadata/migrations/helpers.ts';

export async function up(db: Kysely<any>): Promise<void> {
  const key = keyText(db);
  await db.schema
    .createTable('release_reevaluations')
    .addColumn('id', key, (c) => c.primaryKey())
    .addColumn('patterns', 'text', (c) => c.notNull())
    .addColumn('why', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('cursor', key)
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('claimed_by', 'text')
    .addColumn('claimed_until', 'bigint')
    .execute();
  await db.schema.createIndex('release_reevaluations_created').on('release_reevaluations').column('created_at').execute();
}
