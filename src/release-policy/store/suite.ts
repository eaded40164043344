import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetadataSuiteContext } from '../../metadata/suite/context.ts';
import { parsePolicyDocument } from '../document.ts';
import type { ReleasePolicyRoles } from './index.ts';

export function releasePolicySection({ store, unique, repo }: MetadataSuiteContext<ReleasePolicyRoles>): void {
  const doc = (name: string, maxSeverity = 'High') => parsePolicyDocument({ name, repositories: [`${name}/*`], rules: [{ name: 'v', vulnerabilities: { maxSeverity } }] });

  describe('release policies, evaluations and exceptions', () => {
    test('put creates version 1, replaces with version 2, delete records a version; versions only grow', async () => {
      const name = unique('pol').toLowerCase().replace(/[^a-z0-9-]/g, '-');
      const created = await store().releasePolicies.put({ name, document: await doc(name), source: 'yaml 1', actor: 'alice' });
      assert.ok(!('conflict' in created));
      assert.equal(created.record.version, 1);
      assert.equal(created.previous, undefined);
      const stale = await store().releasePolicies.put({ name, document: await doc(name, 'Medium'), source: 'x', actor: 'bob', expectedVersion: 0 });
      assert.ok('conflict' in stale, 'an expected version that is not the stored one is refused');
      const replaced = await store().releasePolicies.put({ name, document: await doc(name, 'Medium'), source: 'yaml 2', actor: 'bob', expectedVersion: 1 });
      assert.ok(!('conflict' in replaced));
      assert.equal(replaced.record.version, 2);
      assert.equal(replaced.previous?.version, 1);
      assert.equal((await store().releasePolicies.get(name))?.document.rules[0]?.vulnerabilities?.maxSeverity, 'Medium');
      assert.equal((await store().releasePolicies.get(name))?.source, 'yaml 2');
      assert.ok((await store().releasePolicies.list()).some((p) => p.name === name));
      assert.equal((await store().releasePolicies.delete(name, 'carol'))?.version, 2);
      assert.equal(await store().releasePolicies.get(name), undefined);
      assert.equal(await store().releasePolicies.delete(name, 'carol'), undefined);
      const again = await store().releasePolicies.put({ name, document: await doc(name), source: 'yaml 3', actor: 'dave' });
      assert.ok(!('conflict' in again));
      assert.equal(again.record.version, 4, 'a re-created name continues the numbering');
      const versions = await store().releasePolicies.versions(name);
      assert.deepEqual(versions.map((v) => [v.version, v.changedBy, v.document === null]), [[4, 'dave', false], [3, 'carol', true], [2, 'bob', false], [1, 'alice', false]]);
    });

    test('a put inside a transaction that rolls back leaves nothing', async () => {
      const name = unique('rb').toLowerCase().replace(/[^a-z0-9-]/g, '-');
      await assert.rejects(store().transaction(async (tx) => {
        await tx.releasePolicies.put({ name, document: await doc(name), source: 's', actor: 'a' });
        throw new Error('boom');
      }), /boom/);
      assert.equal(await store().releasePolicies.get(name), undefined);
      assert.deepEqual(await store().releasePolicies.versions(name), []);
    });

    test('evaluations: putMany writes and replaces several rows, getMany reads them back', async () => {
      const r = repo();
      const policy = unique('p');
      const at = new Date(1_700_000_000_000);
      const rec = (digest: string, version: number, passed: boolean) => ({ repository: r, digest, policy, version, passed, rules: [{ rule: 'v', kind: 'vulnerabilities' as const, passed, reason: passed ? 'ok' : 'no' }], evaluatedAt: at });
      await store().releaseEvaluations.put({ ...rec('sha256:m1', 1, false), violatingSince: at, requarantineAt: at });
      await store().releaseEvaluations.putMany([rec('sha256:m1', 2, true), rec('sha256:m2', 2, false)]);
      const got = await store().releaseEvaluations.getMany(r, ['sha256:m1', 'sha256:m2', 'sha256:m3']);
      assert.deepEqual([...got.keys()].sort(), ['sha256:m1', 'sha256:m2']);
      assert.deepEqual(got.get('sha256:m1'), rec('sha256:m1', 2, true), 'replaced whole: the old drift columns are gone');
      assert.deepEqual(got.get('sha256:m2'), await store().releaseEvaluations.get(r, 'sha256:m2'));
      await store().releaseEvaluations.putMany([rec('sha256:m3', 1, false), rec('sha256:m3', 3, true)]);
      assert.equal((await store().releaseEvaluations.get(r, 'sha256:m3'))?.version, 3, 'the last record of a digest wins');
      await store().releaseEvaluations.putMany([]);
    });

    test('evaluations: put replaces, requarantine due by time, delete by policy', async () => {
      const r = repo();
      const policy = unique('p');
      const at = new Date(1_700_000_000_000);
      await store().releaseEvaluations.put({ repository: r, digest: 'sha256:a', policy, version: 1, passed: false, rules: [{ rule: 'v', kind: 'vulnerabilities', passed: false, reason: 'no' }], evaluatedAt: at, violatingSince: at, requarantineAt: new Date(at.getTime() + 1000) });
      await store().releaseEvaluations.put({ repository: r, digest: 'sha256:b', policy, version: 1, passed: true, rules: [], evaluatedAt: at });
      const got = await store().releaseEvaluations.get(r, 'sha256:a');
      assert.equal(got?.rules[0]?.reason, 'no');
      assert.equal(got?.violatingSince?.getTime(), at.getTime());
      const due = (await store().releaseEvaluations.dueForRequarantine(new Date(at.getTime() + 1000), 100)).filter((e) => e.repository === r);
      assert.deepEqual(due.map((e) => e.digest), ['sha256:a']);
      assert.equal((await store().releaseEvaluations.dueForRequarantine(new Date(at.getTime() + 999), 100)).filter((e) => e.repository === r).length, 0);
      await store().releaseEvaluations.put({ repository: r, digest: 'sha256:a', policy, version: 2, passed: true, rules: [], evaluatedAt: at });
      assert.equal((await store().releaseEvaluations.get(r, 'sha256:a'))?.requarantineAt, undefined);
      assert.equal(await store().releaseEvaluations.deleteOfPolicy(policy), 2);
      assert.equal(await store().releaseEvaluations.get(r, 'sha256:b'), undefined);
    });

    test('exceptions: pending until approved, revoked ones and expired ones are not active', async () => {
      const base = { vulnerability: 'CVE-2021-44906', scope: 'repository' as const, repository: repo(), reason: 'not reachable', owner: 'alice', expiresAt: new Date(Date.now() + 3_600_000) };
      const a = await store().policyExceptions.create({ ...base, id: unique('ex'), status: 'pending' });
      const b = await store().policyExceptions.create({ ...base, id: unique('ex'), status: 'active', ticket: 'https://issues.example/1' });
      const c = await store().policyExceptions.create({ ...base, id: unique('ex'), status: 'active', expiresAt: new Date(Date.now() - 1) });
      const ids = async () => (await store().policyExceptions.active(new Date())).map((e) => e.id).filter((id) => [a.id, b.id, c.id].includes(id)).sort();
      assert.deepEqual(await ids(), [b.id]);
      assert.equal((await store().policyExceptions.get(b.id))?.ticket, 'https://issues.example/1');
      const approved = await store().policyExceptions.approve(a.id, 'bob', new Date());
      assert.equal(approved?.status, 'active');
      assert.equal(approved?.approvedBy, 'bob');
      assert.equal(await store().policyExceptions.approve(a.id, 'bob', new Date()), undefined, 'only a pending one can be approved');
      assert.deepEqual(await ids(), [a.id, b.id].sort());
      assert.equal((await store().policyExceptions.revoke(b.id, 'carol', new Date()))?.status, 'revoked');
      assert.equal(await store().policyExceptions.revoke(b.id, 'carol', new Date()), undefined);
      assert.deepEqual(await ids(), [a.id]);
      assert.ok((await store().policyExceptions.list({ status: ['revoked'] })).some((e) => e.id === b.id));
    });

    test('re-evaluation queue: one claim at a time, lost leases taken over, the cursor kept, rolled-back jobs never seen', async () => {
      const q = () => store().releaseReevaluations;
      // Drain whatever an earlier test left, so the claims below see only this test's jobs.
      for (let c = await q().claim({ now: new Date(Date.now() + 86_400_000), leaseMs: 1 }); c; c = await q().claim({ now: new Date(Date.now() + 86_400_000), leaseMs: 1 })) await q().finish(c);
      const pattern = `${unique('rq')}/*`;
      const t0 = new Date();
      await assert.rejects(store().transaction(async (tx) => {
        await tx.releaseReevaluations.enqueue({ patterns: ['rolled-back/*'], why: 'x' }, t0);
        throw new Error('boom');
      }), /boom/);
      const first = await q().enqueue({ patterns: [pattern, '**'], why: 'policy changed' }, t0);
      const second = await q().enqueue({ patterns: [pattern], why: 'exception changed' }, new Date(t0.getTime() + 1));
      assert.equal(await q().pending(), 2, 'the rolled-back job is not there');
      const a = await q().claim({ now: t0, leaseMs: 1000 });
      assert.equal(a?.id, first.id, 'the oldest first');
      assert.deepEqual(a?.patterns, [pattern, '**']);
      assert.equal(a?.why, 'policy changed');
      assert.equal(a?.attempts, 1);
      const b = await q().claim({ now: t0, leaseMs: 1000 });
      assert.equal(b?.id, second.id, 'a claimed job is not claimed twice');
      assert.equal(await q().claim({ now: t0, leaseMs: 1000 }), undefined, 'nothing else is claimable');
      assert.equal(await q().progress(a!, 'team/a', new Date(t0.getTime() + 5000)), true);
      // a's lease (renewed to +5 s) holds; b's ran out at +1 s: another node takes b over.
      const taken = await q().claim({ now: new Date(t0.getTime() + 2000), leaseMs: 1000 });
      assert.equal(taken?.id, second.id);
      assert.equal(taken?.attempts, 2);
      assert.equal(await q().progress(b!, 'x', new Date(t0.getTime() + 9000)), false, 'the first claimant lost it');
      assert.equal(await q().finish(b!), false, 'and cannot finish it');
      assert.equal(await q().finish(taken!), true);
      const resumed = await q().claim({ now: new Date(t0.getTime() + 6000), leaseMs: 1000 });
      assert.equal(resumed?.id, first.id, 'a job whose lease ran out is claimed again');
      assert.equal(resumed?.cursor, 'team/a', 'with the cursor its last claimant recorded');
      assert.equal(await q().finish(resumed!), true);
      assert.equal(await q().pending(), 0);
    });
  });
}
