import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dg, imageManifest, type MetadataSuiteContext } from './context.ts';

export function transactionSection({ store, repo, unique }: MetadataSuiteContext): void {
  describe('transaction', () => {
    test('commits every change made through the transaction roles and returns fn’s value', async () => {
      const name = repo();
      const key = unique('tx');
      const result = await store().transaction(async (tx) => {
        await tx.manifests.put(name, imageManifest('tx-ok'));
        await tx.tags.put(name, 'latest', dg('tx-ok'));
        await tx.settings.set(key, { ok: true });
        // Reads inside see the transaction's own writes.
        assert.equal((await tx.tags.get(name, 'latest'))?.digest, dg('tx-ok'));
        return 'done';
      });
      assert.equal(result, 'done');
      assert.equal((await store().tags.get(name, 'latest'))?.digest, dg('tx-ok'));
      assert.deepEqual(await store().settings.get(key), { ok: true });
    });

    test('a throw rolls everything back, including multi-statement methods', async () => {
      const name = repo();
      const key = unique('tx');
      const actor = unique('actor');
      await store().manifests.put(name, imageManifest('tx-keep'));
      await store().tags.put(name, 'keep', dg('tx-keep'));
      await assert.rejects(
        store().transaction(async (tx) => {
          await tx.blobs.link(name, dg('tx-blob'), 5);
          await tx.manifests.put(name, imageManifest('tx-new'));
          await tx.tags.put(name, 'new', dg('tx-new'));
          await tx.manifests.delete(name, dg('tx-keep'));
          await tx.settings.set(key, 1);
          await tx.audit.append({ actor, action: 'x.y', target: 't' });
          await tx.uploads.create(crypto.randomUUID(), name);
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.equal(await store().blobs.get(name, dg('tx-blob')), undefined);
      assert.equal(await store().manifests.get(name, dg('tx-new')), undefined);
      assert.equal(await store().tags.get(name, 'new'), undefined);
      assert.equal((await store().tags.get(name, 'keep'))?.digest, dg('tx-keep'));
      assert.deepEqual((await store().manifests.get(name, dg('tx-keep')))?.blobs, imageManifest('tx-keep').blobs);
      assert.equal(await store().settings.get(key), undefined);
      assert.deepEqual(await store().audit.list({ actor }), []);
    });

    test('a repository created inside a rolled-back transaction does not exist', async () => {
      const name = repo();
      await assert.rejects(
        store().transaction(async (tx) => {
          await tx.repositories.ensure(name);
          await tx.repositories.updateAttributes(name, { writeEnabled: false });
          throw new Error('nope');
        }),
      );
      assert.equal(await store().repositories.get(name), undefined);
    });
  });
}
