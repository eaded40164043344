import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dg, imageManifest, tick, type MetadataSuiteContext } from './context.ts';

export function tagsSection({ store, repo }: MetadataSuiteContext): void {
  describe('tags', () => {
    test('put creates, moving returns the previous digest and keeps createdAt and attributes', async () => {
      const name = repo();
      await store().manifests.put(name, imageManifest('v1'));
      await store().manifests.put(name, imageManifest('v2'));
      assert.deepEqual(await store().tags.put(name, 'latest', dg('v1')), {});
      const first = (await store().tags.get(name, 'latest'))!;
      assert.equal(first.digest, dg('v1'));
      assert.equal(first.repository, name);
      assert.equal(first.name, 'latest');
      assert.deepEqual([first.deleteEnabled, first.writeEnabled, first.readEnabled, first.listEnabled], [true, true, true, true]);
      await store().tags.updateAttributes(name, 'latest', { deleteEnabled: false });
      await tick();
      assert.deepEqual(await store().tags.put(name, 'latest', dg('v2')), { previous: dg('v1') });
      const moved = (await store().tags.get(name, 'latest'))!;
      assert.equal(moved.digest, dg('v2'));
      assert.equal(moved.createdAt.getTime(), first.createdAt.getTime());
      assert.ok(moved.updatedAt.getTime() > first.updatedAt.getTime());
      assert.equal(moved.deleteEnabled, false);
      assert.equal(await store().tags.get(name, 'nope'), undefined);
      assert.equal(await store().tags.get(repo(), 'latest'), undefined);
    });

    test('concurrent first pushes of one tag all succeed; one of them wins', async () => {
      const name = repo();
      const labels = ['race-a', 'race-b', 'race-c', 'race-d'];
      for (const label of labels) await store().manifests.put(name, imageManifest(label));
      const digests = labels.map(dg);
      await Promise.all(digests.map((d) => store().tags.put(name, 'contended', d)));
      const tag = await store().tags.get(name, 'contended');
      assert.ok(tag && digests.includes(tag.digest));
      assert.deepEqual((await store().tags.list(name)).map((t) => t.name), ['contended']);
    });

    test('a tag must point at a manifest recorded in the repository', async () => {
      const name = repo();
      await store().repositories.ensure(name);
      await assert.rejects(store().tags.put(name, 'dangling', dg('never-pushed')));
      assert.equal(await store().tags.get(name, 'dangling'), undefined);
    });

    test('list: lexical (byte-wise) with last/n paging and a digest filter', async () => {
      const name = repo();
      await store().manifests.put(name, imageManifest('la'));
      await store().manifests.put(name, imageManifest('lb'));
      const tags = ['v1.0', 'v1-0', 'V2', 'latest', 'v1_0', '1'];
      for (const [i, t] of tags.entries()) await store().tags.put(name, t, i % 2 ? dg('lb') : dg('la'));
      const sorted = [...tags].sort((x, y) => (Buffer.from(x) < Buffer.from(y) ? -1 : 1));
      const p1 = await store().tags.list(name, { n: 4 });
      assert.deepEqual(p1.map((t) => t.name), sorted.slice(0, 4));
      const p2 = await store().tags.list(name, { n: 4, last: p1[3]!.name });
      assert.deepEqual(p2.map((t) => t.name), sorted.slice(4));
      assert.deepEqual(await store().tags.list(name, { last: sorted.at(-1) }), []);
      const onB = await store().tags.list(name, { digest: dg('lb') });
      assert.deepEqual(onB.map((t) => t.name), tags.filter((_, i) => i % 2).sort((x, y) => (Buffer.from(x) < Buffer.from(y) ? -1 : 1)));
      assert.ok(onB.every((t) => t.digest === dg('lb')));
      assert.deepEqual(await store().tags.list(name, { n: 0 }), []);
    });

    test('namesOf: the tags of several digests in one call, byte-wise per digest, this repository only', async () => {
      const name = repo();
      const other = repo();
      for (const label of ['na', 'nb', 'nc']) await store().manifests.put(name, imageManifest(label));
      await store().manifests.put(other, imageManifest('na'));
      for (const t of ['v2', 'V1', 'latest']) await store().tags.put(name, t, dg('na'));
      await store().tags.put(name, 'b-only', dg('nb'));
      await store().tags.put(other, 'elsewhere', dg('na'));
      const names = await store().tags.namesOf(name, [dg('na'), dg('nb'), dg('nc')]);
      assert.deepEqual(names.get(dg('na')), ['V1', 'latest', 'v2']);
      assert.deepEqual(names.get(dg('nb')), ['b-only']);
      assert.equal(names.has(dg('nc')), false, 'an untagged manifest is absent');
      assert.equal((await store().tags.namesOf(name, [])).size, 0);
    });

    test('getMany: the existing tags of several names in one call, this repository only', async () => {
      const name = repo();
      const other = repo();
      await store().manifests.put(name, imageManifest('ga'));
      await store().manifests.put(other, imageManifest('ga'));
      await store().tags.put(name, 'one', dg('ga'));
      await store().tags.put(name, 'two', dg('ga'));
      await store().tags.put(other, 'three', dg('ga'));
      const got = await store().tags.getMany(name, ['one', 'two', 'three', 'missing', 'one']);
      assert.deepEqual([...got.keys()].sort(), ['one', 'two']);
      assert.equal(got.get('one')?.digest, dg('ga'));
      assert.deepEqual(got.get('two'), await store().tags.get(name, 'two'));
      assert.equal((await store().tags.getMany(name, [])).size, 0);
    });

    test('listListable: names and digests by name, paged, leaving out tags or manifests with listEnabled=false', async () => {
      const name = repo();
      await store().manifests.put(name, imageManifest('ll-a'));
      await store().manifests.put(name, imageManifest('ll-hidden'));
      const tags = ['v1.0', 'v1-0', 'V2', 'latest', 'v1_0', '1', 'no-list', 'on-hidden'];
      for (const t of tags) await store().tags.put(name, t, t === 'on-hidden' ? dg('ll-hidden') : dg('ll-a'));
      await store().tags.updateAttributes(name, 'no-list', { listEnabled: false });
      await store().manifests.updateAttributes(name, dg('ll-hidden'), { listEnabled: false });
      // Another repository's tags never appear.
      await store().manifests.put(repo(), imageManifest('ll-a'));
      const sorted = tags.filter((t) => t !== 'no-list' && t !== 'on-hidden').sort((x, y) => (Buffer.from(x) < Buffer.from(y) ? -1 : 1));
      const all = await store().tags.listListable(name);
      assert.deepEqual(all, sorted.map((t) => ({ name: t, digest: dg('ll-a') })));
      const p1 = await store().tags.listListable(name, { n: 4 });
      assert.deepEqual(p1.map((t) => t.name), sorted.slice(0, 4));
      const p2 = await store().tags.listListable(name, { n: 4, last: p1[3]!.name });
      assert.deepEqual(p2.map((t) => t.name), sorted.slice(4));
      assert.deepEqual(await store().tags.listListable(name, { last: sorted.at(-1) }), []);
      assert.deepEqual(await store().tags.listListable(name, { n: 0 }), []);
      assert.deepEqual(await store().tags.listListable(repo()), []);
      await store().tags.updateAttributes(name, 'no-list', { listEnabled: true });
      assert.ok((await store().tags.listListable(name)).some((t) => t.name === 'no-list'), 'listEnabled back on lists it again');
    });

    test('list: timeasc/timedesc by last update with paging', async () => {
      const name = repo();
      await store().manifests.put(name, imageManifest('ta'));
      await store().manifests.put(name, imageManifest('tb'));
      for (const t of ['one', 'two', 'three']) {
        await store().tags.put(name, t, dg('ta'));
        await tick();
      }
      await store().tags.put(name, 'one', dg('tb')); // moved: now the most recently updated
      const asc = ['two', 'three', 'one'];
      const p1 = await store().tags.list(name, { orderBy: 'timeasc', n: 2 });
      assert.deepEqual(p1.map((t) => t.name), asc.slice(0, 2));
      const p2 = await store().tags.list(name, { orderBy: 'timeasc', n: 2, last: 'three' });
      assert.deepEqual(p2.map((t) => t.name), ['one']);
      const desc = await store().tags.list(name, { orderBy: 'timedesc' });
      assert.deepEqual(desc.map((t) => t.name), [...asc].reverse());
      const d2 = await store().tags.list(name, { orderBy: 'timedesc', last: 'one' });
      assert.deepEqual(d2.map((t) => t.name), ['three', 'two']);
      const filtered = await store().tags.list(name, { orderBy: 'timedesc', digest: dg('ta') });
      assert.deepEqual(filtered.map((t) => t.name), ['three', 'two']);
    });

    test('delete and updateAttributes', async () => {
      const name = repo();
      await store().manifests.put(name, imageManifest('d'));
      await store().tags.put(name, 'x', dg('d'));
      await store().tags.put(name, 'y', dg('d'));
      const r = await store().tags.updateAttributes(name, 'y', { writeEnabled: false, listEnabled: false });
      assert.deepEqual([r?.deleteEnabled, r?.writeEnabled, r?.readEnabled, r?.listEnabled], [true, false, true, false]);
      assert.deepEqual(await store().tags.get(name, 'y'), r);
      assert.equal(await store().tags.updateAttributes(name, 'zzz', { writeEnabled: false }), undefined);
      assert.equal(await store().tags.delete(name, 'x'), true);
      assert.equal(await store().tags.delete(name, 'x'), false);
      assert.equal(await store().tags.get(name, 'x'), undefined);
      assert.ok(await store().manifests.get(name, dg('d')), 'deleting a tag keeps the manifest');
      assert.deepEqual((await store().tags.list(name)).map((t) => t.name), ['y']);
    });
    describe('tagListGenerations', () => {
      test('starts at 0, each bump raises it by one, in a transaction only when it commits, and it survives the repository', async () => {
        const [a, b] = [repo('gen-a'), repo('gen-b')];
        assert.equal(await store().tagListGenerations.get(a), 0);
        await store().tagListGenerations.bump([a]);
        await store().tagListGenerations.bump([a, b]);
        assert.deepEqual([await store().tagListGenerations.get(a), await store().tagListGenerations.get(b)], [2, 1]);
        await assert.rejects(
          store().transaction(async (tx) => {
            await tx.tagListGenerations.bump([a]);
            throw new Error('rolled back');
          }),
          /rolled back/,
        );
        assert.equal(await store().tagListGenerations.get(a), 2, 'a rolled-back bump leaves no trace');
        await store().transaction((tx) => tx.tagListGenerations.bump([a]));
        assert.equal(await store().tagListGenerations.get(a), 3);
        await store().manifests.put(a, imageManifest('gen'));
        await store().repositories.delete(a);
        assert.equal(await store().tagListGenerations.get(a), 3, 'a deleted repository pushed again must not restart at a value an old page carries');
      });

      test('concurrent bumps of one repository are all counted', async () => {
        const name = repo('gen-race');
        await Promise.all(Array.from({ length: 8 }, () => store().transaction((tx) => tx.tagListGenerations.bump([name]))));
        assert.equal(await store().tagListGenerations.get(name), 8);
      });
    });
  });
}
