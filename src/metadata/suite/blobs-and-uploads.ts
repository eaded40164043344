import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { dg, tick, type MetadataSuiteContext } from './context.ts';

export function blobLinksSection({ store, repo }: MetadataSuiteContext): void {
  describe('blob links', () => {
    test('link creates the repository, is idempotent, unlink removes it once', async () => {
      const name = repo();
      const d = dg('link-me');
      assert.equal(await store().blobs.get(name, d), undefined);
      await store().blobs.link(name, d, 42);
      assert.ok(await store().repositories.get(name), 'link creates the repository');
      const first = await store().blobs.get(name, d);
      assert.equal(first?.digest, d);
      assert.equal(first?.size, 42);
      await tick();
      await store().blobs.link(name, d, 42);
      assert.deepEqual(await store().blobs.get(name, d), first, 'relinking keeps the first link');
      assert.equal(await store().blobs.get(repo(), d), undefined);
      assert.equal(await store().blobs.unlink(name, d), true);
      assert.equal(await store().blobs.unlink(name, d), false);
      assert.equal(await store().blobs.get(name, d), undefined);
    });

    test('concurrent links into a new repository all succeed', async () => {
      const name = repo();
      await Promise.all(Array.from({ length: 6 }, (_, i) => store().blobs.link(name, dg(`concurrent-${i % 2}`), 3)));
      assert.ok(await store().blobs.get(name, dg('concurrent-0')));
      assert.ok(await store().blobs.get(name, dg('concurrent-1')));
      assert.deepEqual(await store().repositories.list({ last: name.slice(0, -1), n: 1 }), [name]);
    });

    test('sizes beyond 32 bits round-trip', async () => {
      const name = repo();
      await store().blobs.link(name, dg('huge'), 6_000_000_000);
      assert.equal((await store().blobs.get(name, dg('huge')))?.size, 6_000_000_000);
    });

    test('isLinkedAnywhere follows links across repositories', async () => {
      const d = dg(`anywhere-${randomUUID()}`);
      const [a, b] = [repo(), repo()];
      assert.equal(await store().blobs.isLinkedAnywhere(d), false);
      await store().blobs.link(a, d, 1);
      await store().blobs.link(b, d, 1);
      await store().blobs.unlink(a, d);
      assert.equal(await store().blobs.isLinkedAnywhere(d), true);
      await store().blobs.unlink(b, d);
      assert.equal(await store().blobs.isLinkedAnywhere(d), false);
    });
  });
}

export function uploadsSection({ store, repo }: MetadataSuiteContext): void {
  describe('uploads', () => {
    test('create, get, touch, delete', async () => {
      const id = randomUUID();
      const name = repo();
      const created = await store().uploads.create(id, name);
      assert.deepEqual({ ...created, createdAt: 0, updatedAt: 0 }, { id, repository: name, size: 0, createdAt: 0, updatedAt: 0 });
      assert.deepEqual(await store().uploads.get(id), created);
      assert.equal(await store().repositories.get(name), undefined, 'an upload alone does not create the repository');
      await tick();
      await store().uploads.touch(id, 1024);
      const touched = (await store().uploads.get(id))!;
      assert.equal(touched.size, 1024);
      assert.equal(touched.createdAt.getTime(), created.createdAt.getTime());
      assert.ok(touched.updatedAt.getTime() > created.updatedAt.getTime());
      await assert.rejects(store().uploads.create(id, name), 'an id is used once');
      assert.equal(await store().uploads.delete(id), true);
      assert.equal(await store().uploads.delete(id), false);
      assert.equal(await store().uploads.get(id), undefined);
      await store().uploads.touch(id, 5); // touching a gone session is a no-op
      assert.equal(await store().uploads.get(id), undefined);
    });

    test('open: bounded per principal and per repository, says which bound refused; concurrent opens never overshoot', async () => {
      const [a, b] = [repo(), repo()];
      const who = `principal-${randomUUID()}`;
      const limits = { openedBy: who, maxPerPrincipal: 3, maxPerRepository: 4 };
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const id = randomUUID();
        const r = await store().uploads.open(id, a, limits);
        assert.ok(!('refused' in r), `open ${i}`);
        assert.equal(r.repository, a);
        ids.push(id);
      }
      assert.deepEqual(await store().uploads.open(randomUUID(), b, limits), { refused: 'principal' }, 'the principal is full, in any repository');
      const other = { ...limits, openedBy: `other-${randomUUID()}` };
      const fourth = randomUUID();
      assert.ok(!('refused' in (await store().uploads.open(fourth, a, other))));
      assert.deepEqual(await store().uploads.open(randomUUID(), a, other), { refused: 'repository' }, 'the repository is full');
      assert.ok(!('refused' in (await store().uploads.open(randomUUID(), b, other))), 'another repository is not');
      await store().uploads.delete(ids[0]!);
      assert.ok(!('refused' in (await store().uploads.open(randomUUID(), b, limits))), 'a finished session frees its slot');
      // Twenty at once (on PostgreSQL as many connections as the pool has, as from several
      // nodes): exactly the bound opens, per principal and per repository.
      const race = { openedBy: `racer-${randomUUID()}`, maxPerPrincipal: 5, maxPerRepository: 1000 };
      const results = await Promise.all(Array.from({ length: 20 }, () => store().uploads.open(randomUUID(), repo(), race)));
      assert.equal(results.filter((r) => !('refused' in r)).length, 5, 'concurrent opens of one principal: exactly its bound');
      const crowded = repo();
      const many = await Promise.all(Array.from({ length: 20 }, () => store().uploads.open(randomUUID(), crowded, { openedBy: `racer-${randomUUID()}`, maxPerPrincipal: 5, maxPerRepository: 4 })));
      assert.equal(many.filter((r) => !('refused' in r)).length, 4, 'concurrent opens into one repository by twenty principals: exactly its bound');
    });

    test('listStale: sessions not touched since the cut-off, oldest first', async () => {
      const [old1, old2, fresh] = [randomUUID(), randomUUID(), randomUUID()];
      const name = repo();
      await store().uploads.create(old1, name);
      await tick();
      await store().uploads.create(old2, name);
      await store().uploads.create(fresh, name);
      await tick();
      const cutoff = new Date();
      await tick();
      await store().uploads.touch(fresh, 10);
      const stale = (await store().uploads.listStale(cutoff)).map((u) => u.id);
      // Other tests' sessions may be stale too; ours must be there, in order, and fresh not.
      const ours = stale.filter((id) => ([old1, old2, fresh] as string[]).includes(id));
      assert.deepEqual(ours, [old1, old2]);
      const none = await store().uploads.listStale(new Date(0));
      assert.deepEqual(none, []);
      for (const id of [old1, old2, fresh]) await store().uploads.delete(id);
    });
  });
}
