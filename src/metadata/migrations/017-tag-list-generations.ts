/**
 * 017-tag-list-generations: a counter per repository, raised in the same transaction as every
 * change that can alter the repository's /v2 tags list (src/registry/tag-list-changes.ts). A
 * node holding a cached page compares the counter it read before building the page with the
 * current one, one primary-key read, so a page is never served after another node changed
 * what it shows (docs/scale-out.md "Cached tags-list pages"). Schema builder only.
 *
 * No foreign key to `repositories`, on purpose: a row outlives its repository, so a repository
 * deleted and pushed again continues its counter instead of starting over at a value an old
 * page may still carry.
 */
import type { Kysely } from 'kysely';
import { keyText } from './helpers.ts';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('tag_list_generations')
    .addColumn('repository', keyText(db), (c) => c.primaryKey())
    .addColumn('generation', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('tag_list_generations').execute();
}
