/** The held-push role object (contract: src/events/event-store.ts) on Kysely, for both dialects. */
import type { Kysely } from 'kysely';
import type { EventsDatabase as Database } from '../tables.ts';
import type { HeldPush, HeldPushStore } from '../../event-store.ts';
import type { RequestFacts } from '../../manifest-lifecycle.ts';

export function createHeldPushStore(db: Kysely<Database>): HeldPushStore {
  return {
    async remember(push) {
      const values = {
        media_type: push.mediaType,
        size: push.size,
        request: JSON.stringify(push.request),
        pushed_at: push.pushedAt.getTime(),
      };
      await db
        .insertInto('event_held_pushes')
        .values({ repository: push.repository, digest: push.digest, tag: push.tag ?? '', ...values })
        .onConflict((oc) => oc.columns(['repository', 'digest', 'tag']).doUpdateSet(values))
        .execute();
    },

    async take(repository, digest) {
      const rows = await db
        .selectFrom('event_held_pushes')
        .selectAll()
        .where('repository', '=', repository)
        .where('digest', '=', digest)
        .orderBy('pushed_at')
        .orderBy('tag')
        .execute();
      if (rows.length === 0) return [];
      await db.deleteFrom('event_held_pushes').where('repository', '=', repository).where('digest', '=', digest).execute();
      return rows.map((row): HeldPush => ({
        repository: row.repository,
        digest: row.digest,
        ...(row.tag !== '' ? { tag: row.tag } : {}),
        mediaType: row.media_type,
        size: Number(row.size),
        request: JSON.parse(row.request) as RequestFacts,
        pushedAt: new Date(Number(row.pushed_at)),
      }));
    },

    async forget(repository, digest) {
      let q = db.deleteFrom('event_held_pushes').where('repository', '=', repository);
      if (digest !== undefined) q = q.where('digest', '=', digest);
      await q.execute();
    },
  };
}
