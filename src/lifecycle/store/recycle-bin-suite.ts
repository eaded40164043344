/**
 * The RecycleBinStore conformance tests (contract: ../recycle-bin/recycle-bin-store.ts), a
 * MetadataStore suite section run on SQLite and PostgreSQL: entries, paging, expiry, and what
 * an entry means for garbage collection's questions (its blobs and links stay referenced).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetadataSuiteContext } from '../../metadata/metadata-store-suite.ts';
import { imageManifest } from '../../metadata/suite/context.ts';
import type { Digest } from '../../oci/index.ts';
import type { RecycledManifest } from '../recycle-bin/recycle-bin-store.ts';
import type { LifecycleRoles } from './index.ts';

const attributes = { deleteEnabled: true, writeEnabled: true, readEnabled: true, listEnabled: false };

export function recycleBinSection({ store, repo, unique }: MetadataSuiteContext<LifecycleRoles>): void {
  const entry = (repository: string, label: string, expiresAt: Date): RecycledManifest => {
    const input = imageManifest(unique(label));
    return {
      repository,
      digest: input.digest,
      mediaType: input.mediaType,
      size: input.size,
      deletedAt: new Date(expiresAt.getTime() - 1000),
      expiresAt,
      deletedBy: 'alice',
      record: { ...input, ...attributes, createdAt: new Date(0).toISOString() },
      tags: [{ name: 'v1', ...attributes }],
    };
  };

  describe('recycleBin', () => {
    test('put, get, list by repository then digest with a cursor, replace, remove', async () => {
      const name = repo();
      await store().repositories.ensure(name);
      const [a, b] = [entry(name, 'a', new Date(Date.now() + 60_000)), entry(name, 'b', new Date(Date.now() + 60_000))].sort((x, y) => (x.digest < y.digest ? -1 : 1)) as [RecycledManifest, RecycledManifest];
      await store().recycleBin.put(a);
      await store().recycleBin.put(b);
      assert.deepEqual(await store().recycleBin.get(name, a.digest), a);
      assert.deepEqual((await store().recycleBin.list({ repository: name })).map((e) => e.digest), [a.digest, b.digest]);
      assert.deepEqual((await store().recycleBin.list({ repository: name, n: 1, last: `${name}@${a.digest}` })).map((e) => e.digest), [b.digest]);
      assert.deepEqual(await store().recycleBin.list({ repository: name, last: 'no cursor' }), []);
      await store().recycleBin.put({ ...a, deletedBy: 'bob' });
      assert.equal((await store().recycleBin.get(name, a.digest))!.deletedBy, 'bob', 'a second delete replaces the entry');
      assert.equal(await store().recycleBin.remove(name, a.digest), true);
      assert.equal(await store().recycleBin.remove(name, a.digest), false);
      assert.equal(await store().recycleBin.get(name, a.digest), undefined);
    });

    test('expired: at or before the clock, oldest expiry first; counted', async () => {
      const name = repo();
      await store().repositories.ensure(name);
      const at = Date.now() + 10 * 86_400_000;
      const soon = entry(name, 'soon', new Date(at - 2000));
      const then = entry(name, 'then', new Date(at));
      const later = entry(name, 'later', new Date(at + 1));
      for (const e of [then, later, soon]) await store().recycleBin.put(e);
      const expired = (await store().recycleBin.expired(new Date(at), 1000)).filter((e) => e.repository === name);
      assert.deepEqual(expired.map((e) => e.digest), [soon.digest, then.digest]);
      assert.ok((await store().recycleBin.countExpired(new Date(at))) >= 2);
      for (const e of [soon, then, later]) await store().recycleBin.remove(name, e.digest);
    });

    test('garbage collection: an entry keeps its digests referenced and its links not dangling; a repository delete takes it', async () => {
      const name = repo();
      const e = entry(name, 'gc', new Date(Date.now() + 60_000));
      const [config, layer] = e.record.blobs as [Digest, Digest];
      await store().blobs.link(name, layer, 10);
      await store().recycleBin.put(e);
      assert.deepEqual([...(await store().gc.unreferenced([e.digest, config, layer], { ignoreLinks: true }))], []);
      const far = Date.now() + 3_600_000;
      assert.deepEqual(await store().gc.danglingLinks({ cutoffs: { released: far, unreferenced: far }, limit: 10, only: { repository: name, digest: layer } }), []);
      await store().gc.releaseRepository(name);
      assert.deepEqual([...(await store().gc.releasedAt([e.digest, config])).keys()].sort(), [e.digest, config].sort(), 'its references are released with the repository');
      await store().repositories.delete(name);
      assert.equal(await store().recycleBin.get(name, e.digest), undefined);
      assert.deepEqual([...(await store().gc.unreferenced([e.digest, config], { ignoreLinks: true }))].sort(), [e.digest, config].sort());
    });
  });
}
