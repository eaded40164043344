import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dg, type MetadataSuiteContext } from '../../metadata/suite/context.ts';
import type { ScanRoles } from './index.ts';

export function scanSection({ store, repo }: MetadataSuiteContext<ScanRoles>): void {
  describe('scan jobs and scanners', () => {
    const job = (repository: string, d = dg('img')) => ({ repository, digest: d, mediaType: 'application/vnd.oci.image.manifest.v1+json', kind: 'image' as const, reason: 'push' as const });

    test('enqueue keeps one active job per manifest; a finished one allows the next', async () => {
      const name = repo();
      const first = await store().scanJobs.enqueue(job(name));
      assert.equal(first.created, true);
      const again = await store().scanJobs.enqueue(job(name));
      assert.equal(again.created, false);
      assert.equal(again.job.id, first.job.id);
      const [claimed] = (await store().scanJobs.claim({ now: new Date(Date.now() + 1000), leaseMs: 60_000, limit: 100 })).filter((j) => j.id === first.job.id);
      assert.ok(claimed);
      assert.equal(await store().scanJobs.release(claimed, { state: 'succeeded', finishedAt: new Date(), summary: { counts: { Critical: 1 }, failed: true, topFindings: [] } }), true);
      const next = await store().scanJobs.enqueue(job(name));
      assert.equal(next.created, true);
      assert.notEqual(next.job.id, first.job.id);
      assert.equal((await store().scanJobs.latest(name, dg('img'), ['succeeded']))?.summary?.counts.Critical, 1);
    });

    test('a claimed job is not claimed again until its lease runs out; a lost claim cannot release', async () => {
      const name = repo();
      const { job: j } = await store().scanJobs.enqueue(job(name));
      const now = new Date(Date.now() + 1000);
      const mine = (list: { id: string }[]) => list.filter((x) => x.id === j.id);
      const a = mine(await store().scanJobs.claim({ now, leaseMs: 10_000, limit: 100 }));
      assert.equal(a.length, 1);
      assert.equal(mine(await store().scanJobs.claim({ now, leaseMs: 10_000, limit: 100 })).length, 0, 'leased');
      const later = new Date(now.getTime() + 11_000);
      const b = mine(await store().scanJobs.claim({ now: later, leaseMs: 10_000, limit: 100 }));
      assert.equal(b.length, 1, 'claimable after the lease ran out');
      assert.equal(await store().scanJobs.release(a[0] as any, { statusMessage: 'late' }), false, 'the first claim was lost');
      assert.equal(await store().scanJobs.release(b[0] as any, { state: 'cancelled', finishedAt: later }), true);
      assert.equal((await store().scanJobs.get(j.id))?.state, 'cancelled');
    });

    test('latestWithReports: the newest job per digest in the given states with its report; artifactsOfMany by subject', async () => {
      const name = repo();
      const finish = async (d: string, report: string) => {
        const { job: j } = await store().scanJobs.enqueue(job(name, d as never));
        const [c] = (await store().scanJobs.claim({ now: new Date(Date.now() + 1000), leaseMs: 60_000, limit: 1000 })).filter((x) => x.id === j.id);
        assert.ok(c);
        await store().scanJobs.release(c, { state: 'succeeded', finishedAt: new Date(), report });
        return j.id;
      };
      await finish(dg('w1'), 'old');
      await new Promise((r) => setTimeout(r, 5));
      const newest = await finish(dg('w1'), 'new');
      await finish(dg('w2'), 'only');
      await store().scanJobs.enqueue(job(name, dg('w3')));
      const got = await store().scanJobs.latestWithReports(name, [dg('w1'), dg('w2'), dg('w3'), dg('w4')], ['succeeded']);
      assert.deepEqual([...got.keys()].sort(), [dg('w1'), dg('w2')].sort(), 'a digest with only a pending job, or none, is absent');
      assert.equal(got.get(dg('w1'))?.job.id, newest);
      assert.equal(got.get(dg('w1'))?.report, 'new');
      assert.equal(got.get(dg('w1'))?.job.id, (await store().scanJobs.latest(name, dg('w1'), ['succeeded']))?.id);
      assert.equal(got.get(dg('w2'))?.report, 'only');
      assert.equal((await store().scanJobs.latestWithReports(name, [dg('w3')], ['pending'])).get(dg('w3'))?.job.state, 'pending');
      await store().scanJobs.addArtifact({ repository: name, digest: dg('a1'), subject: dg('w1'), artifactType: 't', jobId: newest });
      await store().scanJobs.addArtifact({ repository: name, digest: dg('a2'), subject: dg('w1'), artifactType: 't', jobId: newest });
      const artifacts = await store().scanJobs.artifactsOfMany(name, [dg('w1'), dg('w2')]);
      assert.deepEqual([...artifacts.keys()], [dg('w1')]);
      assert.deepEqual(artifacts.get(dg('w1')), await store().scanJobs.artifactsOf(name, dg('w1')));
    });

    test('credentials, artifacts and stale results', async () => {
      const name = repo();
      const { job: j } = await store().scanJobs.enqueue({ ...job(name), scanner: 's1' });
      await store().scanJobs.patch(j.id, { credentialHash: 'sha256$x', credentialExpiresAt: new Date(Date.now() + 60_000) });
      assert.deepEqual({ ...(await store().scanJobs.credential(j.id))!, expiresAt: undefined }, { repository: name, hash: 'sha256$x', expiresAt: undefined, state: 'pending' });
      await store().scanJobs.addArtifact({ repository: name, digest: dg('report'), subject: dg('img'), artifactType: 't', jobId: j.id });
      await store().scanJobs.addArtifact({ repository: name, digest: dg('report'), subject: dg('img'), artifactType: 't', jobId: j.id });
      assert.deepEqual((await store().scanJobs.artifactsOf(name, dg('img'))).map((a) => a.digest), [dg('report')]);
      const [c] = (await store().scanJobs.claim({ now: new Date(Date.now() + 1000), leaseMs: 60_000, limit: 100 })).filter((x) => x.id === j.id);
      await store().scanJobs.release(c!, { state: 'succeeded', finishedAt: new Date(), dbUpdatedAt: new Date(1000) });
      assert.deepEqual((await store().scanJobs.staleResults('s1', new Date(2000), 10)).filter((r) => r.repository === name).map((r) => r.digest), [dg('img')]);
      assert.deepEqual((await store().scanJobs.staleResults('s1', new Date(500), 10)).filter((r) => r.repository === name), []);
    });

    test('scanners: create refuses duplicates, one default, health keeps unreachableSince', async () => {
      const n = `s-${repo().replace(/[^a-z0-9]/g, '')}`.slice(0, 40);
      const input = { url: 'http://x', authKind: 'api-key' as const, authSecret: 'k', patterns: ['*'], isDefault: true, enabled: true };
      assert.ok(await store().scanners.create(`${n}a`, input));
      assert.equal(await store().scanners.create(`${n}a`, input), undefined);
      await store().scanners.create(`${n}b`, input);
      assert.equal((await store().scanners.get(`${n}a`))?.isDefault, false, 'the newer default cleared the flag');
      const t1 = new Date(1_000_000);
      await store().scanners.setHealth(`${n}b`, { health: 'unreachable', message: 'down', at: t1 });
      const second = await store().scanners.setHealth(`${n}b`, { health: 'unreachable', message: 'down', at: new Date(2_000_000) });
      assert.equal(second?.unreachableSince?.getTime(), t1.getTime());
      const back = await store().scanners.setHealth(`${n}b`, { health: 'healthy', at: new Date(3_000_000), dbUpdatedAt: new Date(5) });
      assert.equal(back?.unreachableSince, undefined);
      assert.equal(back?.dbUpdatedAt?.getTime(), 5);
      assert.equal(await store().scanners.delete(`${n}a`), true);
      assert.equal(await store().scanners.delete(`${n}b`), true);
    });
  });
}
