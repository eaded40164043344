/**
 * The GcStore conformance tests (contract: ../gc/gc-store.ts), a MetadataStore suite section run
 * on SQLite and PostgreSQL: tombstones, link states and the dangling-link rules, the
 * "referenced anywhere" questions, digest locks, runs and the collector lock; and the pull times
 * retention reads (../retention/pull-time-store.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import type { MetadataSuiteContext } from '../../metadata/metadata-store-suite.ts';
import { dg, imageManifest, tick } from '../../metadata/suite/context.ts';
import type { LifecycleRoles } from './index.ts';

export { recycleBinSection } from './recycle-bin-suite.ts';
export { quotaSection } from './quota-suite.ts';

export function gcSection({ store, repo, unique }: MetadataSuiteContext<LifecycleRoles>): void {
  const gc = () => store().gc;
  describe('gc', () => {
    test('tombstones: idempotent, pending until marked deleted, pruned only once deleted', async () => {
      const [a, b] = [dg(unique('tomb-a')), dg(unique('tomb-b'))];
      await gc().tombstone([{ digest: a, size: 10 }, { digest: b, size: 20 }]);
      await gc().tombstone([{ digest: a, size: 99 }]);
      assert.deepEqual((await gc().tombstoned([a, b, dg(unique('none'))])).sort(), [a, b].sort());
      assert.equal((await gc().getTombstone(a))!.size, 10, 'the first decision stands');
      const pending = await gc().pendingTombstones(1000);
      assert.ok(pending.some((t) => t.digest === a) && pending.some((t) => t.digest === b));
      await gc().markDeleted(a);
      assert.ok((await gc().getTombstone(a))!.deletedAt);
      assert.ok(!(await gc().pendingTombstones(1000)).some((t) => t.digest === a));
      assert.ok((await gc().countPendingTombstones()) >= 1);
      assert.ok((await gc().pruneTombstones(new Date(Date.now() + 1000))) >= 1);
      assert.deepEqual(await gc().tombstoned([a, b]), [b], 'only the deleted one was pruned');
      await gc().forgetTombstone(b);
      assert.deepEqual(await gc().tombstoned([b]), []);
    });

    test('dangling links: released ones after the grace cut-off, never-referenced ones after the in-flight cut-off with no upload open', async () => {
      const name = repo();
      const [loose, used] = [dg(unique('loose')), dg(unique('used'))];
      await store().blobs.link(name, loose, 5);
      await store().blobs.link(name, used, 6);
      await store().manifests.put(name, imageManifest(unique('m'), [used]));
      const dangling = (cutoffs: { released: number; unreferenced: number }, digest = loose) => gc().danglingLinks({ cutoffs, limit: 10, only: { repository: name, digest } });
      const future = Date.now() + 60_000;
      assert.deepEqual(await dangling({ released: future, unreferenced: Date.now() - 60_000 }), [], 'a fresh upload is in flight');
      assert.deepEqual(await dangling({ released: future, unreferenced: future }), [{ repository: name, digest: loose, size: 5 }]);
      assert.deepEqual(await dangling({ released: future, unreferenced: future }, used), [], 'a referenced link is never dangling');
      const upload = randomUUID();
      await store().uploads.create(upload, name);
      assert.deepEqual(await dangling({ released: future, unreferenced: future }), [], 'an open upload of the repository may still need it');
      await store().uploads.delete(upload);
      await tick();
      await gc().released(name, [loose]);
      assert.equal((await dangling({ released: future, unreferenced: 0 })).length, 1, 'released: only the grace cut-off counts');
      assert.deepEqual(await dangling({ released: Date.now() - 60_000, unreferenced: future }), [], 'released too recently');
      await gc().relinked(name, loose);
      assert.deepEqual(await dangling({ released: future, unreferenced: Date.now() - 60_000 }), [], 'linked again: in flight from now');
      await gc().removeLink(name, loose);
      assert.equal(await store().blobs.get(name, loose), undefined);
    });

    test('referenced anywhere: links, manifest blobs, manifest records, index children; link counts; releases', async () => {
      const [r1, r2] = [repo(), repo()];
      const [linked, layer, child, nothing] = ['linked', 'layer', 'child', 'nothing'].map((l) => dg(unique(l))) as [ReturnType<typeof dg>, ReturnType<typeof dg>, ReturnType<typeof dg>, ReturnType<typeof dg>];
      await store().blobs.link(r1, linked, 1);
      await store().blobs.link(r2, linked, 1);
      const image = imageManifest(unique('img'), [layer]);
      await store().manifests.put(r1, image);
      await store().manifests.put(r2, { ...imageManifest(unique('idx'), []), children: [{ digest: child }] });
      const all = [linked, layer, child, nothing, image.digest];
      assert.deepEqual([...(await gc().unreferenced(all))], [nothing]);
      assert.deepEqual([...(await gc().unreferenced(all, { ignoreLinks: true }))].sort(), [linked, nothing].sort());
      assert.deepEqual([...(await gc().linkCounts(all))], [[linked, 2]]);
      await gc().released(r1, [linked, nothing]);
      await tick();
      await gc().released(r2, [nothing]);
      const released = await gc().releasedAt([linked, nothing, layer]);
      assert.deepEqual([...released.keys()].sort(), [linked, nothing].sort());
      assert.ok(released.get(nothing)! >= released.get(linked)!, 'the latest release');
      await gc().forgetReleases([linked, nothing]);
      assert.deepEqual([...(await gc().releasedAt([linked, nothing])).keys()], [linked], 'kept where a link still needs it');
      await gc().releaseRepository(r1);
      assert.deepEqual([...(await gc().releasedAt([layer, image.digest])).keys()].sort(), [layer, image.digest].sort());
    });

    test('lock: two transactions locking one digest run one after the other', async () => {
      const d = dg(unique('locked'));
      const order: string[] = [];
      let firstIn!: () => void;
      const locked = new Promise<void>((resolve) => (firstIn = resolve));
      const first = store().transaction(async (tx) => {
        await tx.gc.lock([d, dg(unique('other'))]);
        order.push('first in');
        firstIn();
        await sleep(150);
        await tx.gc.tombstone([{ digest: d, size: 1 }]);
        order.push('first out');
      });
      await locked;
      const second = store().transaction(async (tx) => {
        await tx.gc.lock([d]);
        order.push('second in');
        assert.deepEqual(await tx.gc.tombstoned([d]), [d], 'sees what the first committed');
      });
      await Promise.all([first, second]);
      assert.deepEqual(order, ['first in', 'first out', 'second in']);
      await gc().forgetTombstone(d);
    });

    test('runs: start, progress, finish, newest first; a new run marks a running one interrupted; the collector lock', async () => {
      const [a, b] = [randomUUID(), randomUUID()];
      await gc().startRun({ id: a, dryRun: true, gracePeriodMs: 0 });
      await gc().progressRun(a, { phase: 'links' });
      assert.deepEqual((await gc().runs(1))[0], { id: a, startedAt: (await gc().runs(1))[0]!.startedAt, status: 'running', dryRun: true, gracePeriodMs: 0, summary: { phase: 'links' } });
      await tick();
      await gc().startRun({ id: b, dryRun: false, gracePeriodMs: 86_400_000 });
      const [newest, older] = await gc().runs(2);
      assert.equal(newest!.id, b);
      assert.equal(older!.status, 'failed');
      assert.match(older!.error!, /interrupted/);
      await gc().finishRun(b, { status: 'done', summary: { blobsDeleted: 3 } });
      const done = (await gc().runs(1))[0]!;
      assert.equal(done.status, 'done');
      assert.deepEqual(done.summary, { blobsDeleted: 3 });
      assert.ok(done.finishedAt);

      const outer = await gc().exclusive(async () => gc().exclusive(async () => 'inner'));
      assert.equal(outer.ran, true);
      // PostgreSQL: the lock is held by the outer run's connection, so the inner attempt (another
      // connection, as another node would be) is refused. SQLite: one process, nothing to take.
      assert.deepEqual(outer.ran && outer.value, store().dialect === 'postgres' ? { ran: false } : { ran: true, value: 'inner' });
      assert.deepEqual(await gc().exclusive(async () => 1), { ran: true, value: 1 }, 'released after the run');
    });
  });

  describe('pull times', () => {
    test('record keeps the latest time per (repository, digest), in one batch and across batches; lastPulled; prune drops rows without a manifest', async () => {
      const pulls = () => store().pullTimes;
      const [r1, r2] = [repo(), repo()];
      const image = imageManifest(unique('pulled'));
      await store().manifests.put(r1, image);
      const gone = dg(unique('gone'));
      await pulls().record([
        { repository: r1, digest: image.digest, pulledAt: 2000 },
        { repository: r1, digest: image.digest, pulledAt: 1000 },
        { repository: r1, digest: gone, pulledAt: 5000 },
        { repository: r2, digest: image.digest, pulledAt: 7000 },
      ]);
      assert.deepEqual([...(await pulls().lastPulled(r1, [image.digest, gone, dg(unique('never'))]))].sort(), [[gone, 5000], [image.digest, 2000]].sort());
      await pulls().record([{ repository: r1, digest: image.digest, pulledAt: 1500 }]);
      assert.equal((await pulls().lastPulled(r1, [image.digest])).get(image.digest), 2000, 'an older flush never moves the time back');
      await pulls().record([{ repository: r1, digest: image.digest, pulledAt: 3000 }]);
      assert.equal((await pulls().lastPulled(r1, [image.digest])).get(image.digest), 3000);
      assert.equal((await pulls().lastPulled(r2, [image.digest])).get(image.digest), 7000, 'per repository');
      assert.ok((await pulls().prune()) >= 2);
      assert.deepEqual([...(await pulls().lastPulled(r1, [image.digest, gone]))], [[image.digest, 3000]], 'the manifest still there keeps its row');
      await assert.rejects(pulls().record(Array.from({ length: 501 }, (_, i) => ({ repository: r1, digest: dg(`x${i}`), pulledAt: 1 }))), /at most 500/);
    });
  });
}
