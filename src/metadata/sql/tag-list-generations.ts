/** TagListGenerationStore on SQL (contract: ../metadata-store.ts; migration 017-tag-list-generations). */
import { sql } from 'kysely';
import type { TagListGenerationStore } from '../metadata-store.ts';
import type { Db } from './common.ts';

export function createTagListGenerationStore(db: Db): TagListGenerationStore {
  return {
    async get(repository) {
      const row = await db.selectFrom('tag_list_generations').select('generation').where('repository', '=', repository).executeTakeFirst();
      return row ? Number(row.generation) : 0;
    },

    async bump(repositories) {
      // One statement per repository, in the caller's order (one multi-row upsert would lock
      // its rows in an order PostgreSQL chooses).
      for (const repository of repositories) {
        await db
          .insertInto('tag_list_generations')
          .values({ repository, generation: 1 })
          .onConflict((oc) => oc.column('repository').doUpdateSet({ generation: sql`tag_list_generations.generation + 1` }))
          .execute();
      }
    },
  };
}
