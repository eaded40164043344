/** The held-push role object (contract: src/events/event-store.ts) on Kysely, for both dialects. */
import type { Kysely } from 'kysely';
import type { EventsDatabase as Database } from '../tables.ts';
import type { HeldPush, HeldPushStore } from '../../event-store.ts';
import type { RequestFacts } from '../../manifest-lifecycle.ts';

/** Parameters per IN list: well under both dialects' bind limits. */
const IN_LIST = 500;

export function createHeldPushStore(db: Kysely<Database>): HeldPushStore {
  async function takeMany(repository: string, digests: readonly string[]) {
    const out = new Map<string, HeldPush[]>();
    const unique = [...new Set(digests)];
    for (let i = 0; i < unique.length; i += IN_LIST) {
      const part = unique.slice(i, i + IN_LIST);
      const rows = await db.selectFrom('event_held_pushes').selectAll().where('repository', '=', repository).where('digest', 'in', part).orderBy('digest').orderBy('pushed_at').orderBy('tag').execute();
      if (rows.length === 0) continue;
      await db.deleteFrom('event_held_pushes').where('repository', '=', repository).where('digest', 'in', [...new Set(rows.map((r) => r.digest))]).execute();
      for (const row of rows) {
        const push: HeldPush = {
          repository: row.repository,
          digest: row.digest,
          ...(row.tag !== '' ? { tag: row.tag } : {}),
          mediaType: row.media_type,
          size: Number(row.size),
          request: JSON.parse(row.request) as RequestFacts,
          pushedAt: new Date(Number(row.pushed_at)),
        };
        const list = out.get(row.digest);
        if (list) list.push(push);
        else out.set(row.digest, [push]);
      }
    }
    return out;
  }

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
      return (await takeMany(repository, [digest])).get(digest) ?? [];
    },

    takeMany,

    async forget(repository, digest) {
      let q = db.deleteFrom('event_held_pushes').where('repository', '=', repository);
      if (digest !== undefined) q = q.where('digest', '=', digest);
      await q.execute();
    },
  };
}
