/** BlobLinkStore on SQL (contract: ../metadata-store.ts). */
import type { Digest } from '../../oci/index.ts';
import type { BlobLinkStore } from '../metadata-store.ts';
import { atomically, ensureRepository, precompiled, type Db } from './common.ts';

const selectLink = precompiled((d) =>
  d.selectFrom('blob_links').select(['digest', 'size', 'created_at']).where('repository', '=', '?').where('digest', '=', '?'),
);
const selectAnyLink = precompiled((d) => d.selectFrom('blob_links').select('digest').where('digest', '=', '?').limit(1));

export function createBlobLinkStore(db: Db): BlobLinkStore {
  return {
    async link(repository, digest, size) {
      const now = Date.now();
      await atomically(db, async (tx) => {
        await ensureRepository(tx, repository, now);
        await tx
          .insertInto('blob_links')
          .values({ repository, digest, size, created_at: now })
          .onConflict((oc) => oc.columns(['repository', 'digest']).doNothing())
          .execute();
      });
    },

    async get(repository, digest) {
      const [row] = await selectLink(db, repository, digest);
      return row && { digest: row.digest as Digest, size: row.size, createdAt: new Date(row.created_at) };
    },

    async unlink(repository, digest) {
      const r = await db.deleteFrom('blob_links').where('repository', '=', repository).where('digest', '=', digest).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    async isLinkedAnywhere(digest) {
      const [row] = await selectAnyLink(db, digest, 1);
      return row !== undefined;
    },
  };
}
