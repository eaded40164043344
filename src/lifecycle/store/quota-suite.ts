/**
 * The QuotaStore conformance tests (contract: ../quota/quota-store.ts), a MetadataStore suite
 * section run on SQLite and PostgreSQL. The running total must equal a full count after EVERY
 * kind of change of what it counts, made the way the registry makes it (blob links added and
 * removed, uploads and mounts, manifests put and deleted, a manifest's digest also linked as a
 * blob, the recycle bin's delete and restore, the collector's removal of a dangling link, a
 * rolled-back transaction, a repository delete); and concurrent transactions adding to one
 * repository all count.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MetadataSuiteContext } from '../../metadata/metadata-store-suite.ts';
import { dg, imageManifest } from '../../metadata/suite/context.ts';
import type { LifecycleRoles } from './index.ts';

export function quotaSection({ store, repo, unique }: MetadataSuiteContext<LifecycleRoles>): void {
  const quotas = () => store().quotas;
  /** The running total equals a full recount (which found nothing to correct) and `expected`. */
  async function agrees(repository: string, expected: number, step: string) {
    const used = await quotas().usage(repository);
    const recount = await quotas().recount(repository);
    assert.deepEqual(recount, { repository, stored: used, counted: used }, `${step}: the running total is what a full count finds`);
    assert.equal(used, expected, `${step}: usage`);
  }

  describe('quotas (repository usage)', () => {
    test('every kind of change keeps the running total equal to a full count', async () => {
      const [name, other] = [repo(), repo()];
      const [a, b] = [dg(unique('a')), dg(unique('b'))];
      assert.equal(await quotas().usage(name), 0, 'nothing yet');
      assert.equal(await quotas().recount(name), undefined, 'no such repository');

      await store().blobs.link(name, a, 5);
      await agrees(name, 5, 'upload');
      await store().blobs.link(name, a, 5);
      await agrees(name, 5, 'the same blob again (counted once)');
      await store().blobs.link(name, b, 7);
      await agrees(name, 12, 'a second blob');

      const m1 = imageManifest(unique('m1'), [a, b]);
      await store().manifests.put(name, m1);
      await agrees(name, 412, 'a manifest adds its own bytes');
      await store().manifests.put(name, m1);
      await agrees(name, 412, 'pushed again');
      await store().blobs.link(name, m1.digest, m1.size);
      await agrees(name, 412, 'its digest linked as a blob too (counted once)');
      await store().blobs.unlink(name, m1.digest);
      await agrees(name, 412, 'that link removed: the manifest counts on its own again');

      const m2 = imageManifest(unique('m2'), [a]);
      await store().blobs.link(name, m2.digest, m2.size);
      await agrees(name, 812, 'a manifest uploaded as a blob first');
      await store().manifests.put(name, m2);
      await agrees(name, 812, 'then put: not counted twice');
      await store().manifests.delete(name, m2.digest);
      await agrees(name, 812, 'deleted while its link stays');
      await store().blobs.unlink(name, m2.digest);
      await agrees(name, 412, 'and its link removed');

      await store().blobs.link(other, a, 5);
      await agrees(other, 5, 'a mount counts in the target repository');
      await agrees(name, 412, 'and changes nothing in the source');

      // Soft delete and restore, as src/registry/recycle-bin.ts does them.
      await store().transaction(async (tx) => {
        await tx.recycleBin.put({
          repository: name, digest: m1.digest, mediaType: m1.mediaType, size: m1.size, deletedAt: new Date(), expiresAt: new Date(Date.now() + 60_000), deletedBy: 'alice',
          record: { ...m1, deleteEnabled: true, writeEnabled: true, readEnabled: true, listEnabled: true, createdAt: new Date(0).toISOString() }, tags: [],
        });
        await tx.manifests.delete(name, m1.digest);
      });
      await agrees(name, 12, 'soft-deleted: its links stay counted, its own bytes do not');
      await store().transaction(async (tx) => {
        await tx.manifests.put(name, m1);
        await tx.recycleBin.remove(name, m1.digest);
      });
      await agrees(name, 412, 'restored');

      await store().gc.removeLink(name, b);
      await agrees(name, 405, "the collector's removal of a dangling link");

      await assert.rejects(
        store().transaction(async (tx) => {
          await tx.blobs.link(name, dg(unique('rolled-back')), 1000);
          await tx.manifests.delete(name, m1.digest);
          throw new Error('abort');
        }),
        /abort/,
      );
      await agrees(name, 405, 'a rolled-back transaction changed nothing');

      await store().manifests.delete(name, m1.digest);
      await agrees(name, 5, 'manifest deleted');
      assert.equal(await store().blobs.unlink(name, a), true);
      assert.equal(await store().blobs.unlink(name, a), false);
      await agrees(name, 0, 'last blob unlinked (once)');

      await store().blobs.link(other, b, 7);
      await store().manifests.put(other, imageManifest(unique('m3'), [a, b]));
      await store().manifests.put(other, { ...imageManifest(unique('idx'), []), size: 300, children: [{ digest: dg(unique('child')) }] });
      await agrees(other, 712, 'an image and an index');
      await store().repositories.delete(other);
      assert.equal(await quotas().usage(other), 0, 'a deleted repository holds nothing');
      assert.equal(await quotas().recount(other), undefined, 'and has no usage left to count');
      await store().blobs.link(other, a, 5);
      await agrees(other, 5, 'the same name, created again, starts from zero');
    });

    test('a repository delete of thousands of rows ends at zero, and the others are untouched', async () => {
      const [name, bystander] = [repo(), repo()];
      await store().blobs.link(bystander, dg(unique('by')), 3);
      await store().transaction(async (tx) => {
        for (let i = 0; i < 2000; i++) await tx.blobs.link(name, dg(unique(`many-${i}`)), i + 1);
        for (let i = 0; i < 50; i++) await tx.manifests.put(name, imageManifest(unique(`many-m${i}`), []));
      });
      await agrees(name, (2000 * 2001) / 2 + 50 * 400, 'filled');
      await store().repositories.delete(name);
      assert.equal(await quotas().usage(name), 0);
      await agrees(bystander, 3, 'another repository');
    });

    test('concurrent transactions adding different blobs to one repository are all counted', async () => {
      const name = repo();
      await store().blobs.link(name, dg(unique('first')), 1);
      // One transaction holds its addition open while another adds and commits: on PostgreSQL the
      // second waits for the usage row's lock and adds to the first one's total, not over it.
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let linked!: () => void;
      const first = new Promise<void>((r) => (linked = r));
      const slow = store().transaction(async (tx) => {
        await tx.blobs.link(name, dg(unique('slow')), 10);
        linked();
        await held;
      });
      await first;
      const fast = store().transaction(async (tx) => tx.blobs.link(name, dg(unique('fast')), 100));
      await sleep(50);
      release();
      await Promise.all([slow, fast]);
      await agrees(name, 111, 'both additions');
      // And many at once, each its own transaction (on PostgreSQL, on the pool's connections).
      await Promise.all(Array.from({ length: 24 }, (_, i) => store().blobs.link(name, dg(unique(`par-${i}`)), 1000)));
      await agrees(name, 111 + 24_000, 'every parallel addition');
    });
  });
}
