import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dg, imageManifest, tick, type MetadataSuiteContext } from './context.ts';

export function repositoriesSection({ store, repo, unique }: MetadataSuiteContext): void {
  describe('repositories', () => {
    test('ensure creates once with every attribute enabled; get of an unknown name is undefined', async () => {
      const name = repo();
      assert.equal(await store().repositories.get(name), undefined);
      const before = Date.now();
      const created = await store().repositories.ensure(name);
      assert.equal(created.name, name);
      assert.ok(created.createdAt.getTime() >= before - 1 && created.createdAt.getTime() <= Date.now());
      assert.deepEqual(
        [created.deleteEnabled, created.writeEnabled, created.readEnabled, created.listEnabled],
        [true, true, true, true],
      );
      await tick();
      const again = await store().repositories.ensure(name);
      assert.equal(again.createdAt.getTime(), created.createdAt.getTime());
      assert.deepEqual(await store().repositories.get(name), again);
    });

    test('list is byte-wise lexical and pages with last/n', async () => {
      const prefix = unique('lex');
      // '-' < '.' < '/' < '_' byte-wise; locale collations order these differently.
      const names = ['a_b', 'a/b', 'a.b', 'a-b', 'a', 'B', 'a/b/c'].map((s) => `${prefix}${s}`);
      for (const name of names) await store().repositories.ensure(name);
      const expected = [...names].sort((x, y) => (Buffer.from(x) < Buffer.from(y) ? -1 : 1));
      const page1 = await store().repositories.list({ last: prefix, n: 3 });
      assert.deepEqual(page1, expected.slice(0, 3));
      const page2 = await store().repositories.list({ last: page1[2], n: 4 });
      assert.deepEqual(page2, expected.slice(3, 7));
      assert.deepEqual(await store().repositories.list({ last: prefix, n: 0 }), []);
      const all = await store().repositories.list();
      assert.deepEqual(all.filter((n) => n.startsWith(prefix)), expected);
      assert.deepEqual(all, [...all].sort((x, y) => (Buffer.from(x) < Buffer.from(y) ? -1 : 1)));
    });

    test('listListable leaves out listEnabled=false, is byte-wise lexical and pages with last/n', async () => {
      const prefix = unique('ll');
      const names = ['a_b', 'a/b', 'a.b', 'a-b', 'hidden', 'B'].map((s) => `${prefix}${s}`);
      for (const name of names) await store().repositories.ensure(name);
      await store().repositories.updateAttributes(`${prefix}hidden`, { listEnabled: false });
      const expected = names.filter((n) => !n.endsWith('hidden')).sort((x, y) => (Buffer.from(x) < Buffer.from(y) ? -1 : 1));
      const page1 = await store().repositories.listListable({ last: prefix, n: 3 });
      assert.deepEqual(page1, expected.slice(0, 3));
      const page2 = await store().repositories.listListable({ last: page1[2], n: 10 });
      assert.deepEqual(page2.filter((n) => n.startsWith(prefix)), expected.slice(3));
      assert.deepEqual(await store().repositories.listListable({ last: prefix, n: 0 }), []);
      const all = await store().repositories.listListable();
      assert.deepEqual(all.filter((n) => n.startsWith(prefix)), expected);
      await store().repositories.updateAttributes(`${prefix}hidden`, { listEnabled: true });
      assert.ok((await store().repositories.listListable()).includes(`${prefix}hidden`), 'listEnabled back on lists it again');
    });

    test('counts manifests and tags', async () => {
      const name = repo();
      await store().repositories.ensure(name);
      assert.deepEqual(await store().repositories.counts(name), { manifestCount: 0, tagCount: 0 });
      await store().manifests.put(name, imageManifest('c1'));
      await store().manifests.put(name, imageManifest('c2'));
      await store().tags.put(name, 'a', dg('c1'));
      await store().tags.put(name, 'b', dg('c1'));
      await store().tags.put(name, 'c', dg('c2'));
      assert.deepEqual(await store().repositories.counts(name), { manifestCount: 2, tagCount: 3 });
    });

    test('updateAttributes changes only the given attributes; unknown repository is undefined', async () => {
      const name = repo();
      await store().repositories.ensure(name);
      const updated = await store().repositories.updateAttributes(name, { writeEnabled: false, listEnabled: false });
      assert.deepEqual(
        [updated?.deleteEnabled, updated?.writeEnabled, updated?.readEnabled, updated?.listEnabled],
        [true, false, true, false],
      );
      const back = await store().repositories.updateAttributes(name, { writeEnabled: true });
      assert.equal(back?.writeEnabled, true);
      assert.equal(back?.listEnabled, false);
      assert.deepEqual(await store().repositories.get(name), back);
      assert.equal(await store().repositories.updateAttributes(repo('missing'), { readEnabled: false }), undefined);
      assert.equal(await store().repositories.get(repo('missing')), undefined);
    });

    test('delete cascades to tags, manifests, references, blob links and uploads, and nothing else', async () => {
      const name = repo();
      const neighbour = repo();
      const layer = dg('shared-layer');
      for (const r of [name, neighbour]) {
        await store().blobs.link(r, layer, 10);
        await store().manifests.put(r, imageManifest('del-img', [dg('del-config'), layer]));
        await store().tags.put(r, 'latest', dg('del-img'));
      }
      await store().manifests.put(name, { ...imageManifest('del-index', []), children: [{ digest: dg('del-img'), os: 'linux' }] });
      await store().manifests.put(name, imageManifest('del-sig', [dg('sig-config')], { subject: dg('del-img'), artifactType: 'application/x.sig' }));
      await store().tags.put(name, 'multi', dg('del-index'));
      const upload = crypto.randomUUID();
      await store().uploads.create(upload, name);

      const removed = await store().repositories.delete(name);
      assert.deepEqual(removed, { manifests: [dg('del-img'), dg('del-index'), dg('del-sig')].sort(), tags: ['latest', 'multi'] });
      assert.equal(await store().repositories.get(name), undefined);
      assert.equal(await store().manifests.get(name, dg('del-img')), undefined);
      assert.equal(await store().tags.get(name, 'latest'), undefined);
      assert.equal(await store().blobs.get(name, layer), undefined);
      assert.equal(await store().uploads.get(upload), undefined);
      assert.deepEqual(await store().manifests.referencingBlob(name, layer), []);
      assert.deepEqual(await store().manifests.parentsOf(name, dg('del-img')), []);
      assert.deepEqual(await store().manifests.referrers(name, dg('del-img')), []);
      assert.deepEqual(await store().repositories.counts(name), { manifestCount: 0, tagCount: 0 });
      assert.equal(await store().repositories.delete(name), undefined);

      // The neighbour sharing the same digests is untouched.
      assert.equal((await store().tags.get(neighbour, 'latest'))?.digest, dg('del-img'));
      assert.deepEqual(await store().manifests.referencingBlob(neighbour, layer), [dg('del-img')]);
      assert.equal(await store().blobs.isLinkedAnywhere(layer), true);

      // The name can be used again from scratch.
      const again = await store().repositories.ensure(name);
      assert.deepEqual(await store().repositories.counts(again.name), { manifestCount: 0, tagCount: 0 });
    });
  });
}
