/**
 * The durable re-evaluation queue end to end (docs/release-policy.md "When it runs"), on SQLite
 * and PostgreSQL, with real servers over real HTTP: a policy change committed by a node that
 * stops before running its re-evaluation is run by the next node that starts on the same
 * database; a node that died halfway (its lease ran out) is continued after the last repository
 * it finished, by another node's sweep; an apply through the API leaves no job behind.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestServer } from './helpers/server.ts';
import { adminAuth, startTokenServer } from './helpers/identities.ts';
import { call, pushImage, type PushedImage } from './helpers/quarantine-fixtures.ts';
import { postgresReachable, skipUnless, TEST_DATABASE_URL, dropTestSchema } from './helpers/environment.ts';
import { applyPolicy } from '../src/release-policy/policy-changes.ts';
import { parsePolicyDocument, type PolicyDocument } from '../src/release-policy/document.ts';

const pgUp = await postgresReachable();

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`the re-evaluation queue survives nodes (${backend})`, { skip: backend === 'postgres' ? skipUnless(pgUp, `PostgreSQL not reachable at ${TEST_DATABASE_URL}`) : false }, () => {
    const schema = `lazaret_rq_${randomBytes(5).toString('hex')}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'lazaret-rq-'));
    const overrides = backend === 'postgres' ? { databaseUrl: `${TEST_DATABASE_URL}?schema=${schema}` } : {};
    let s: TestServer;
    const images: PushedImage[] = [];
    const evaluatedBy = async (server: TestServer, im: PushedImage) => (await server.services.store.releaseEvaluations.get(im.repository, im.digest))?.version;
    const verdict = async (server: TestServer, im: PushedImage) => (await server.services.store.verdicts.get(im.repository, im.digest as never))?.state;
    const doc = (version: string) => parsePolicyDocument({ name: 'queue', repositories: ['rq/*'], rules: [{ name: 'always', cel: `"${version}" != ""` }] });

    let docV1: PolicyDocument;
    let docV2: PolicyDocument;

    before(async () => {
      [docV1, docV2] = [await doc('v1'), await doc('v2')];
      s = await startTokenServer(overrides, { dataDir });
      for (const repo of ['rq/a', 'rq/b', 'rq/c']) images.push(await pushImage(s.url, repo, { seed: `${repo} ${randomBytes(4).toString('hex')}`, tag: 'v1', headers: { authorization: adminAuth() } }));
    });
    after(async () => {
      await s?.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (backend === 'postgres') await dropTestSchema(schema);
    });

    test('a change whose node stopped before re-evaluating is re-evaluated by the next node to start', async () => {
      // The change commits (with its job) and the node stops without waking its queue.
      await s.services.store.transaction((tx) => applyPolicy(tx, { document: docV1, source: 'test', actor: 'admin' }));
      assert.equal(await s.services.store.releaseReevaluations.pending(), 1, 'the job was recorded with the change');
      for (const im of images) assert.equal(await verdict(s, im), undefined, 'nothing evaluated yet');
      await s.close();
      s = await startTokenServer(overrides, { dataDir });
      await s.services.releasePolicy.idle();
      for (const im of images) assert.equal(await verdict(s, im), 'Passed', `${im.repository} evaluated by the new node`);
      assert.equal(await s.services.store.releaseReevaluations.pending(), 0, 'the finished job is gone');
    });

    test('a node that died halfway is continued after the last repository it finished, once its lease ran out', async () => {
      const store = s.services.store;
      // Pushed under version 1: held for their scan, not evaluated yet. Which images an
      // evaluation record appears for shows the resumed run's reach.
      const fresh: PushedImage[] = [];
      for (const repo of ['rq/d', 'rq/e', 'rq/f']) fresh.push(await pushImage(s.url, repo, { seed: `${repo} ${randomBytes(4).toString('hex')}`, tag: 'v1', headers: { authorization: adminAuth() } }));
      images.push(...fresh);
      await s.services.releasePolicy.idle();
      for (const im of fresh) assert.equal(await evaluatedBy(s, im), undefined, `${im.repository} not evaluated after its push`);
      await store.transaction((tx) => applyPolicy(tx, { document: docV2, source: 'test', actor: 'admin' }));
      // "The dead node": claimed the job, finished up to rq/d (recorded as the cursor), then vanished.
      const dead = await store.releaseReevaluations.claim({ now: new Date(), leaseMs: 60_000 });
      assert.ok(dead, 'the job was claimable');
      assert.equal(await store.releaseReevaluations.progress(dead, 'rq/d', new Date(Date.now() + 4000)), true);
      // While its lease holds (long enough that a loaded machine's sweep still falls inside it), another node's sweep leaves the job alone.
      await s.services.releasePolicy.sweep();
      await s.services.releasePolicy.idle();
      assert.equal(await evaluatedBy(s, fresh[1]!), undefined, 'a held lease is not taken over');
      await new Promise((r) => setTimeout(r, 4100));
      await s.services.releasePolicy.sweep();
      await s.services.releasePolicy.idle();
      assert.equal(await evaluatedBy(s, fresh[0]!), undefined, 'rq/d was done by the dead node: not evaluated again');
      assert.equal(await evaluatedBy(s, fresh[1]!), 2, 'rq/e evaluated by version 2 on the node that took the job over');
      assert.equal(await evaluatedBy(s, fresh[2]!), 2, 'rq/f too');
      assert.equal(await evaluatedBy(s, images[0]!), 1, 'rq/a, before the cursor, was not evaluated again either');
      assert.equal(await store.releaseReevaluations.pending(), 0);
      assert.equal(await store.releaseReevaluations.finish(dead), false, 'the dead node cannot finish a job it lost');
    });

    test('an apply through the API re-evaluates at once and leaves no job', async () => {
      const r = await call(s.url, 'POST', '/api/v1/release-policies', { headers: { authorization: adminAuth() }, body: { document: { name: 'queue', repositories: ['rq/*'], rules: [{ name: 'never', cel: 'false' }] } } });
      assert.equal(r.status, 200, r.text);
      await s.services.releasePolicy.idle();
      assert.equal(await verdict(s, images[0]!), 'Passed', 'a released image is never un-released by an evaluation (drift)');
      for (const im of images) assert.equal(await evaluatedBy(s, im), 3, `${im.repository} evaluated by version 3`);
      assert.equal(await s.services.store.releaseReevaluations.pending(), 0);
    });
  });
}
