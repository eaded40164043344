import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ManifestInput } from '../metadata-store.ts';
import { dg, imageManifest, tick, type MetadataSuiteContext } from './context.ts';

export function manifestsSection({ store, repo }: MetadataSuiteContext): void {
  describe('manifests', () => {
    test('put records every field; get returns them; another repository does not see it', async () => {
      const name = repo();
      const input: ManifestInput = {
        digest: dg('full'),
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        size: 987,
        artifactType: 'application/vnd.example.thing',
        subject: dg('full-subject'),
        configDigest: dg('full-config'),
        configMediaType: 'application/vnd.oci.image.config.v1+json',
        architecture: 'arm64',
        os: 'linux',
        imageSize: 5_000_000_000, // beyond 32 bits: int8 must come back as a number
        // Order kept, duplicates kept (a layer may appear twice).
        blobs: [dg('full-config'), dg('l2'), dg('l1'), dg('l2')],
        children: [],
        annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z', note: 'ünïcode' },
      };
      const before = Date.now();
      const { created, record } = await store().manifests.put(name, input);
      assert.equal(created, true);
      const { createdAt, updatedAt, ...rest } = record;
      assert.deepEqual(rest, { ...input, repository: name, deleteEnabled: true, writeEnabled: true, readEnabled: true, listEnabled: true });
      assert.ok(createdAt.getTime() >= before - 1);
      assert.equal(updatedAt.getTime(), createdAt.getTime());
      assert.deepEqual(await store().manifests.get(name, input.digest), record);
      assert.equal(await store().manifests.get(repo(), input.digest), undefined);
      // getHead: the same row without the reference lists, and nothing in another repository.
      const { blobs: _blobs, children: _children, ...head } = record;
      assert.deepEqual(await store().manifests.getHead(name, input.digest), head);
      assert.equal(await store().manifests.getHead(repo(), input.digest), undefined);
      assert.equal(await store().manifests.getHead(name, dg('absent')), undefined);
      assert.ok(await store().repositories.get(name), 'put creates the repository');
    });

    test('an index keeps its children in order with their platforms', async () => {
      const name = repo();
      const children = [
        { digest: dg('ix-amd64'), architecture: 'amd64', os: 'linux' },
        { digest: dg('ix-arm64'), architecture: 'arm64', os: 'linux' },
        { digest: dg('ix-attestation') },
      ];
      const input = { ...imageManifest('ix', []), mediaType: 'application/vnd.oci.image.index.v1+json', children };
      delete input.architecture;
      delete input.os;
      delete input.configDigest;
      delete input.configMediaType;
      const { record } = await store().manifests.put(name, input);
      assert.deepEqual(record.children, children);
      assert.deepEqual(await store().manifests.get(name, input.digest), record, 'put returns what get reads');
      assert.deepEqual(record.blobs, []);
      assert.equal(record.architecture, undefined);
      assert.equal(record.configDigest, undefined);
    });

    test('re-push keeps createdAt and changeable attributes, refreshes updatedAt', async () => {
      const name = repo();
      const first = await store().manifests.put(name, imageManifest('again'));
      await store().manifests.updateAttributes(name, dg('again'), { deleteEnabled: false });
      await tick();
      const second = await store().manifests.put(name, imageManifest('again'));
      assert.equal(second.created, false);
      assert.equal(second.record.createdAt.getTime(), first.record.createdAt.getTime());
      assert.ok(second.record.updatedAt.getTime() > first.record.updatedAt.getTime());
      assert.equal(second.record.deleteEnabled, false);
      assert.deepEqual(second.record.blobs, first.record.blobs);
    });

    test('a manifest with tens of thousands of layers (a 4 MiB manifest) is recorded whole', async () => {
      const name = repo();
      const blobs = Array.from({ length: 25_000 }, (_, i) => dg(`many-${i}`));
      const children = Array.from({ length: 12_000 }, (_, i) => ({ digest: dg(`child-${i}`), os: 'linux' }));
      await store().manifests.put(name, { ...imageManifest('many', blobs), children });
      const back = await store().manifests.get(name, dg('many'));
      assert.equal(back?.blobs.length, 25_000);
      assert.equal(back?.blobs[24_999], blobs[24_999]);
      assert.equal(back?.children.length, 12_000);
      assert.deepEqual(await store().manifests.referencingBlob(name, dg('many-12345')), [dg('many')]);
    });

    test('concurrent pushes of one manifest: exactly one creates it', async () => {
      const name = repo();
      await store().repositories.ensure(name);
      const results = await Promise.all(Array.from({ length: 6 }, () => store().manifests.put(name, imageManifest('race'))));
      assert.equal(results.filter((r) => r.created).length, 1);
      assert.deepEqual((await store().manifests.get(name, dg('race')))?.blobs, imageManifest('race').blobs);
    });

    test('list: by digest with last/n paging', async () => {
      const name = repo();
      const labels = ['m1', 'm2', 'm3', 'm4', 'm5'];
      for (const l of labels) await store().manifests.put(name, imageManifest(l));
      const sorted = labels.map(dg).sort();
      const page1 = await store().manifests.list(name, { n: 2 });
      assert.deepEqual(page1.map((m) => m.digest), sorted.slice(0, 2));
      assert.deepEqual(page1[0]!.blobs, imageManifest(labels[labels.map(dg).indexOf(sorted[0]!)]!).blobs, 'references loaded for list');
      const page2 = await store().manifests.list(name, { n: 2, last: page1[1]!.digest });
      assert.deepEqual(page2.map((m) => m.digest), sorted.slice(2, 4));
      const rest = await store().manifests.list(name, { last: page2[1]!.digest });
      assert.deepEqual(rest.map((m) => m.digest), sorted.slice(4));
      assert.deepEqual(await store().manifests.list(name, { n: 0 }), []);
      assert.deepEqual(await store().manifests.list(repo()), []);
    });

    test('list: timeasc/timedesc by last update, paging with the previous page’s last digest', async () => {
      const name = repo();
      const labels = ['t1', 't2', 't3', 't4'];
      for (const l of labels) {
        await store().manifests.put(name, imageManifest(l));
        await tick();
      }
      await store().manifests.put(name, imageManifest('t1')); // re-push: t1 becomes the newest
      const asc = ['t2', 't3', 't4', 't1'].map(dg);
      const p1 = await store().manifests.list(name, { orderBy: 'timeasc', n: 3 });
      assert.deepEqual(p1.map((m) => m.digest), asc.slice(0, 3));
      const p2 = await store().manifests.list(name, { orderBy: 'timeasc', n: 3, last: p1[2]!.digest });
      assert.deepEqual(p2.map((m) => m.digest), asc.slice(3));
      const d1 = await store().manifests.list(name, { orderBy: 'timedesc', n: 2 });
      assert.deepEqual(d1.map((m) => m.digest), [...asc].reverse().slice(0, 2));
      const d2 = await store().manifests.list(name, { orderBy: 'timedesc', last: d1[1]!.digest });
      assert.deepEqual(d2.map((m) => m.digest), [...asc].reverse().slice(2));
    });

    test('delete removes the manifest, its references and every tag on it', async () => {
      const name = repo();
      await store().manifests.put(name, imageManifest('gone'));
      await store().manifests.put(name, imageManifest('stays'));
      await store().tags.put(name, 'b', dg('gone'));
      await store().tags.put(name, 'a', dg('gone'));
      await store().tags.put(name, 'other', dg('stays'));
      assert.deepEqual(await store().manifests.delete(name, dg('gone')), { tags: ['a', 'b'] });
      assert.equal(await store().manifests.get(name, dg('gone')), undefined);
      assert.equal(await store().tags.get(name, 'a'), undefined);
      assert.equal((await store().tags.get(name, 'other'))?.digest, dg('stays'));
      assert.deepEqual(await store().manifests.referencingBlob(name, dg('gone-layer')), []);
      assert.equal(await store().manifests.delete(name, dg('gone')), undefined);
      assert.deepEqual((await store().manifests.put(name, imageManifest('gone'))).created, true);
    });

    test('updateAttributes changes only the given attributes; unknown manifest is undefined', async () => {
      const name = repo();
      await store().manifests.put(name, imageManifest('attrs'));
      const r = await store().manifests.updateAttributes(name, dg('attrs'), { readEnabled: false, writeEnabled: false });
      assert.deepEqual([r?.deleteEnabled, r?.writeEnabled, r?.readEnabled, r?.listEnabled], [true, false, false, true]);
      assert.deepEqual(await store().manifests.get(name, dg('attrs')), r);
      const head = await store().manifests.getHead(name, dg('attrs'));
      assert.deepEqual([head?.deleteEnabled, head?.writeEnabled, head?.readEnabled, head?.listEnabled], [true, false, false, true], 'getHead sees attribute changes');
      assert.equal(await store().manifests.updateAttributes(name, dg('nope'), { readEnabled: false }), undefined);
    });

    test('referrers: by subject, optionally filtered by artifactType, only in the repository', async () => {
      const name = repo();
      const subject = dg('subj');
      await store().manifests.put(name, imageManifest('subj'));
      await store().manifests.put(name, imageManifest('sig', [dg('sig-c')], { subject, artifactType: 'application/vnd.example.sig' }));
      await store().manifests.put(name, imageManifest('sbom', [dg('sbom-c')], { subject, artifactType: 'application/vnd.example.sbom' }));
      await store().manifests.put(name, imageManifest('unrelated', [dg('u-c')], { subject: dg('other'), artifactType: 'application/vnd.example.sig' }));
      await store().manifests.put(repo(), imageManifest('elsewhere', [dg('e-c')], { subject, artifactType: 'application/vnd.example.sig' }));
      const all = await store().manifests.referrers(name, subject);
      assert.deepEqual(all.map((m) => m.digest), [dg('sig'), dg('sbom')].sort());
      assert.deepEqual(all.find((m) => m.digest === dg('sbom'))?.blobs, [dg('sbom-c')]);
      const sigs = await store().manifests.referrers(name, subject, 'application/vnd.example.sig');
      assert.deepEqual(sigs.map((m) => m.digest), [dg('sig')]);
      assert.deepEqual(await store().manifests.referrers(name, subject, 'application/none'), []);
      assert.deepEqual(await store().manifests.referrers(name, dg('nothing')), []);
    });

    test('getHeads and referrersOfMany: several digests of one repository in one call, as getHead and referrers answer each', async () => {
      const name = repo();
      const [s1, s2] = [dg('many-s1'), dg('many-s2')];
      await store().manifests.put(name, imageManifest('many-s1'));
      await store().manifests.put(name, imageManifest('many-s2'));
      await store().manifests.put(name, imageManifest('many-r1', [dg('r1-c')], { subject: s1, artifactType: 'application/vnd.example.sig' }));
      await store().manifests.put(name, imageManifest('many-r2', [dg('r2-c')], { subject: s1, artifactType: 'application/vnd.example.sbom' }));
      await store().manifests.put(repo(), imageManifest('many-r3', [dg('r3-c')], { subject: s2, artifactType: 'application/vnd.example.sig' }));
      const heads = await store().manifests.getHeads(name, [s1, s2, dg('absent'), s1]);
      assert.deepEqual([...heads.keys()].sort(), [s1, s2].sort());
      assert.deepEqual(heads.get(s1), await store().manifests.getHead(name, s1));
      assert.equal((await store().manifests.getHeads(name, [])).size, 0);
      const referrers = await store().manifests.referrersOfMany(name, [s1, s2]);
      assert.deepEqual([...referrers.keys()], [s1], 'a subject without referrers here is absent (the other is in another repository)');
      assert.deepEqual(referrers.get(s1), await store().manifests.referrers(name, s1), 'the same records as referrers, blobs included');
    });

    test('referencingBlob and parentsOf answer within the repository', async () => {
      const name = repo();
      const shared = dg('ref-shared');
      await store().manifests.put(name, imageManifest('ref-a', [dg('ref-a-config'), shared, shared]));
      await store().manifests.put(name, imageManifest('ref-b', [dg('ref-b-config'), shared]));
      await store().manifests.put(name, { ...imageManifest('ref-index', []), children: [{ digest: dg('ref-a') }, { digest: dg('ref-b') }] });
      await store().manifests.put(name, { ...imageManifest('ref-index2', []), children: [{ digest: dg('ref-a') }] });
      await store().manifests.put(repo(), imageManifest('ref-c', [dg('ref-c-config'), shared]));
      assert.deepEqual(await store().manifests.referencingBlob(name, shared), [dg('ref-a'), dg('ref-b')].sort());
      assert.deepEqual(await store().manifests.referencingBlob(name, dg('ref-a-config')), [dg('ref-a')]);
      assert.deepEqual(await store().manifests.referencingBlob(name, dg('nobody')), []);
      assert.deepEqual(await store().manifests.parentsOf(name, dg('ref-a')), [dg('ref-index'), dg('ref-index2')].sort());
      assert.deepEqual(await store().manifests.parentsOf(name, dg('ref-b')), [dg('ref-index')]);
      assert.deepEqual(await store().manifests.parentsOf(name, dg('ref-index')), []);
    });
  });
}
