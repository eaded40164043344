import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dg, imageManifest, tick, type MetadataSuiteContext } from '../../metadata/suite/context.ts';
import type { QuarantineRoles } from './index.ts';

export function verdictsSection({ store, repo }: MetadataSuiteContext<QuarantineRoles>): void {
  describe('verdicts', () => {
    test('set creates and replaces; details kept when omitted, cleared with null, stored verbatim', async () => {
      const name = repo();
      const details = '{ "state" : "scan passed",\n "link":"http://x" }';
      assert.equal(await store().verdicts.get(name, dg('m')), undefined);
      const first = await store().verdicts.set({ repository: name, digest: dg('m'), state: 'Quarantined', updatedBy: 'system' });
      assert.equal(first.previous, undefined);
      assert.equal(first.record.state, 'Quarantined');
      const second = await store().verdicts.set({ repository: name, digest: dg('m'), state: 'Passed', details, updatedBy: 'scanner' });
      assert.equal(second.previous?.state, 'Quarantined');
      assert.equal((await store().verdicts.get(name, dg('m')))?.details, details);
      const third = await store().verdicts.set({ repository: name, digest: dg('m'), state: 'Failed', updatedBy: 'scanner' });
      assert.equal(third.record.details, details, 'omitted details are kept');
      await store().verdicts.set({ repository: name, digest: dg('m'), state: 'Failed', details: null, updatedBy: 'scanner' });
      const got = (await store().verdicts.get(name, dg('m')))!;
      assert.equal(got.details, undefined);
      assert.equal(got.updatedBy, 'scanner');
      assert.ok(got.updatedAt instanceof Date);
      assert.equal(await store().verdicts.get(repo(), dg('m')), undefined, 'per repository');
    });

    test('getMany, and verdicts outlive the manifest (sticky across delete + re-push)', async () => {
      const name = repo();
      await store().manifests.put(name, imageManifest('a'));
      await store().verdicts.set({ repository: name, digest: dg('a'), state: 'Failed', updatedBy: 't' });
      await store().verdicts.set({ repository: name, digest: dg('b'), state: 'Passed', updatedBy: 't' });
      const many = await store().verdicts.getMany(name, [dg('a'), dg('b'), dg('c'), dg('a')]);
      assert.deepEqual([...many.keys()].sort(), [dg('a'), dg('b')].sort());
      await store().manifests.delete(name, dg('a'));
      assert.equal((await store().verdicts.get(name, dg('a')))?.state, 'Failed');
      await store().repositories.delete(name);
      assert.equal((await store().verdicts.get(name, dg('a')))?.state, 'Failed');
    });

    test('setMany: several verdicts in one call, each with the one it replaced; details kept when not given', async () => {
      const name = repo();
      await store().verdicts.set({ repository: name, digest: dg('s1'), state: 'Quarantined', details: '{"a":1}', updatedBy: 'system' });
      const results = await store().verdicts.setMany(name, [
        { digest: dg('s1'), state: 'Passed', updatedBy: 'policy:p' },
        { digest: dg('s2'), state: 'Failed', details: '{"b":2}', updatedBy: 'policy:p' },
      ]);
      assert.deepEqual(results.map((r) => [r.record.digest, r.record.state, r.record.details, r.previous?.state]), [[dg('s1'), 'Passed', '{"a":1}', 'Quarantined'], [dg('s2'), 'Failed', '{"b":2}', undefined]]);
      assert.equal((await store().verdicts.get(name, dg('s1')))?.state, 'Passed');
      assert.equal((await store().verdicts.get(name, dg('s1')))?.details, '{"a":1}');
      assert.equal((await store().verdicts.get(name, dg('s2')))?.updatedBy, 'policy:p');
      await assert.rejects(store().verdicts.setMany(name, [{ digest: dg('s3'), state: 'Passed', updatedBy: 'x' }, { digest: dg('s3'), state: 'Failed', updatedBy: 'x' }]), /one input per digest/);
      assert.deepEqual(await store().verdicts.setMany(name, []), []);
    });

    test('listManifests: existing manifests only, with their verdicts, oldest first, filtered and paged', async () => {
      const name = repo();
      for (const l of ['m1', 'm2', 'm3', 'm4']) {
        await store().manifests.put(name, imageManifest(`${name}-${l}`));
        await tick();
      }
      const d = (l: string) => dg(`${name}-${l}`);
      await store().verdicts.set({ repository: name, digest: d('m2'), state: 'Quarantined', updatedBy: 't' });
      await store().verdicts.set({ repository: name, digest: d('m3'), state: 'Passed', details: '{}', updatedBy: 't' });
      await store().verdicts.set({ repository: name, digest: dg('gone'), state: 'Quarantined', updatedBy: 't' });
      const all = await store().verdicts.listManifests({ repository: name });
      assert.deepEqual(all.rows.map((r) => [r.digest, r.state]), [[d('m1'), undefined], [d('m2'), 'Quarantined'], [d('m3'), 'Passed'], [d('m4'), undefined]]);
      assert.equal(all.next, undefined);
      assert.equal(all.rows[2]!.details, '{}');
      assert.equal(all.rows[0]!.mediaType, 'application/vnd.oci.image.manifest.v1+json');
      const held = await store().verdicts.listManifests({ repository: name, states: ['absent', 'Quarantined'] });
      assert.deepEqual(held.rows.map((r) => r.digest), [d('m1'), d('m2'), d('m4')]);
      const p1 = await store().verdicts.listManifests({ repository: name, states: ['absent', 'Quarantined'], n: 2 });
      assert.deepEqual(p1.rows.map((r) => r.digest), [d('m1'), d('m2')]);
      assert.ok(p1.next);
      const p2 = await store().verdicts.listManifests({ repository: name, states: ['absent', 'Quarantined'], n: 2, last: p1.next });
      assert.deepEqual(p2.rows.map((r) => r.digest), [d('m4')]);
      assert.equal(p2.next, undefined);
      // A substring of the name (any case), with LIKE's wildcards taken literally.
      await store().manifests.put(`${name}/a_b`, imageManifest(`${name}-under`));
      await store().manifests.put(`${name}/axb`, imageManifest(`${name}-x`));
      const digestsOf = async (repositoryContains: string) => (await store().verdicts.listManifests({ repositoryContains })).rows.map((r) => r.digest);
      assert.deepEqual(await digestsOf(`${name}/A_B`), [d('under')], '_ is not a wildcard, and case does not matter');
      assert.deepEqual(await digestsOf(`${name}/a%`), []);
      assert.deepEqual((await digestsOf(`${name}/a`)).sort(), [d('under'), d('x')].sort());
    });

    test('repositoriesWithReleased, releasedCounts and counts', async () => {
      const [a, b, c] = [repo(), repo(), repo()];
      const before = await store().verdicts.counts();
      await store().manifests.put(a, imageManifest(`${a}-x`));
      await store().manifests.put(a, imageManifest(`${a}-y`));
      await store().tags.put(a, 't1', dg(`${a}-x`));
      await store().tags.put(a, 't2', dg(`${a}-x`));
      await store().tags.put(a, 't3', dg(`${a}-y`));
      await store().manifests.put(b, imageManifest(`${b}-x`));
      await store().verdicts.set({ repository: a, digest: dg(`${a}-x`), state: 'Passed', updatedBy: 't' });
      await store().verdicts.set({ repository: b, digest: dg(`${b}-x`), state: 'Failed', updatedBy: 't' });
      // A Passed verdict for a manifest that does not exist releases nothing.
      await store().verdicts.set({ repository: c, digest: dg('ghost'), state: 'Passed', updatedBy: 't' });
      assert.deepEqual([...(await store().verdicts.repositoriesWithReleased([a, b, c]))], [a]);
      assert.deepEqual(await store().verdicts.releasedCounts(a), { manifestCount: 1, tagCount: 2 });
      assert.deepEqual(await store().verdicts.releasedCounts(b), { manifestCount: 0, tagCount: 0 });
      const after = await store().verdicts.counts();
      assert.deepEqual(
        { Passed: after.Passed - before.Passed, Failed: after.Failed - before.Failed, absent: after.absent - before.absent, Quarantined: after.Quarantined - before.Quarantined },
        { Passed: 1, Failed: 1, absent: 1, Quarantined: 0 },
      );
      const key = (r: { repository: string; state: string }) => `${r.repository} ${r.state}`;
      const mine = (await store().verdicts.countsByRepository()).filter((r) => [a, b, c].includes(r.repository)).sort((x, y) => key(x).localeCompare(key(y)));
      assert.deepEqual(mine, [
        { repository: a, state: 'Passed', count: 1 },
        { repository: a, state: 'absent', count: 1 },
        { repository: b, state: 'Failed', count: 1 },
      ].sort((x, y) => key(x).localeCompare(key(y))), 'a ghost verdict (c) counts nothing');
    });

    test('blobReleased: only through a Passed manifest of the same repository that references the blob', async () => {
      const [name, other] = [repo(), repo()];
      const shared = dg(`${name}-shared`);
      await store().manifests.put(name, imageManifest(`${name}-held`, [dg(`${name}-c1`), shared]));
      await store().manifests.put(name, imageManifest(`${name}-ok`, [dg(`${name}-c2`), shared]));
      await store().manifests.put(other, imageManifest(`${other}-ok`, [dg(`${name}-c1`)]));
      await store().verdicts.set({ repository: name, digest: dg(`${name}-held`), state: 'Quarantined', updatedBy: 't' });
      await store().verdicts.set({ repository: other, digest: dg(`${other}-ok`), state: 'Passed', updatedBy: 't' });
      assert.equal(await store().verdicts.blobReleased(name, shared), false);
      assert.equal(await store().verdicts.blobReleased(name, dg(`${name}-c1`)), false, 'a release in another repository does not count');
      await store().verdicts.set({ repository: name, digest: dg(`${name}-ok`), state: 'Passed', updatedBy: 't' });
      assert.equal(await store().verdicts.blobReleased(name, shared), true);
      assert.equal(await store().verdicts.blobReleased(name, dg(`${name}-c2`)), true);
      assert.equal(await store().verdicts.blobReleased(name, dg(`${name}-c1`)), false);
      assert.equal(await store().verdicts.blobReleased(other, dg(`${name}-c1`)), true);
    });

    test('followers: recorded once (the first subject stays), listed only while their manifest exists, looked up in bulk', async () => {
      const name = repo();
      for (const l of ['img', 'sig1', 'sig2']) await store().manifests.put(name, imageManifest(`${name}-${l}`));
      const d = (l: string) => dg(`${name}-${l}`);
      await store().verdicts.follow(name, d('sig1'), d('img'));
      await store().verdicts.follow(name, d('sig1'), d('img'));
      await store().verdicts.follow(name, d('sig2'), d('img'));
      await store().verdicts.follow(name, d('sig2'), dg('another'));
      assert.deepEqual(await store().verdicts.followersOf(name, d('img')), [d('sig1'), d('sig2')].sort());
      assert.deepEqual(await store().verdicts.followersOf(name, dg('another')), [], 'the first subject recorded stays');
      assert.deepEqual(await store().verdicts.followersOf(repo(), d('img')), [], 'per repository');
      const found = await store().verdicts.followed(name, [d('sig1'), d('img'), d('sig2'), dg('nothing')]);
      assert.deepEqual([...found.entries()].sort(), [[d('sig1'), d('img')], [d('sig2'), d('img')]].sort());
      await store().manifests.delete(name, d('sig1'));
      assert.deepEqual(await store().verdicts.followersOf(name, d('img')), [d('sig2')], 'a deleted follower is not listed');
      const many = await store().verdicts.followersOfMany(name, [d('img'), dg('another'), d('sig2')]);
      assert.deepEqual([...many.entries()], [[d('img'), [d('sig2')]]], 'followersOfMany: as followersOf per subject, subjects without any absent');
      await store().transaction(async (tx) => {
        await tx.verdicts.follow(name, d('img'), dg('rolled-back'));
        throw new Error('roll back');
      }).catch(() => undefined);
      assert.equal((await store().verdicts.followed(name, [d('img')])).size, 0, 'a follow in a rolled-back transaction is not stored');
    });

    test('a verdict set inside a rolled-back transaction is not stored', async () => {
      const name = repo();
      await assert.rejects(store().transaction(async (tx) => {
        await tx.verdicts.set({ repository: name, digest: dg('r'), state: 'Passed', updatedBy: 't' });
        throw new Error('boom');
      }));
      assert.equal(await store().verdicts.get(name, dg('r')), undefined);
    });
  });
}
