/**
 * A re-evaluation decides a repository's images in batches (one transaction and a few
 * statements for many images: src/release-policy/decide.ts applyEvaluations, the verdict path's
 * changeVerdictsIn). Batching must not merge what is per image: on SQLite and PostgreSQL, with a
 * real server over HTTP, every image gets exactly one `verdict.change` entry when a policy first
 * decides it and exactly one `release-policy.violation` entry when a tightened policy flags it,
 * each naming that image, and the audit chain still verifies afterwards.
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

const pgUp = await postgresReachable();
const IMAGES = 7;

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`a batched re-evaluation audits each image once (${backend})`, { skip: backend === 'postgres' ? skipUnless(pgUp, `PostgreSQL not reachable at ${TEST_DATABASE_URL}`) : false }, () => {
    const schema = `lazaret_rb_${randomBytes(5).toString('hex')}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'lazaret-rb-'));
    const overrides = backend === 'postgres' ? { databaseUrl: `${TEST_DATABASE_URL}?schema=${schema}` } : {};
    const admin = { authorization: adminAuth() };
    let s: TestServer;
    const images: PushedImage[] = [];
    const policy = (cel: string) => ({ document: { name: 'batch', repositories: ['rb/*'], onViolation: 'notify', rules: [{ name: 'gate', cel }] } });
    const entries = async (action: string) => (await call(s.url, 'GET', `/api/v1/audit?action=${action}&actor=policy:batch&n=500`, { headers: admin })).body.entries as { target: string }[];
    const perImage = (list: { target: string }[]) => images.map((im) => list.filter((e) => e.target === `${im.repository}@${im.digest}`).length);

    before(async () => {
      s = await startTokenServer(overrides, { dataDir });
      for (let i = 0; i < IMAGES; i++) images.push(await pushImage(s.url, 'rb/app', { seed: `rb ${i} ${randomBytes(4).toString('hex')}`, tag: `v${i}`, headers: admin }));
    });
    after(async () => {
      await s?.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (backend === 'postgres') await dropTestSchema(schema);
    });

    test('first apply: each image released with one verdict.change entry of its own; the chain verifies', async () => {
      assert.equal((await call(s.url, 'POST', '/api/v1/release-policies', { headers: admin, body: policy('true') })).status, 201);
      await s.services.releasePolicy.idle();
      for (const im of images) assert.equal((await s.services.store.verdicts.get(im.repository, im.digest as never))?.state, 'Passed');
      assert.deepEqual(perImage(await entries('verdict.change')), images.map(() => 1));
      const verify = await call(s.url, 'GET', '/api/v1/audit/verify', { headers: admin });
      assert.equal(verify.body.ok, true, JSON.stringify(verify.body.broken));
    });

    test('tightened: each released image flagged with one violation entry of its own, still released; the chain verifies', async () => {
      assert.equal((await call(s.url, 'POST', '/api/v1/release-policies', { headers: admin, body: policy('false') })).status, 200, 'a new version of the policy');
      await s.services.releasePolicy.idle();
      for (const im of images) {
        assert.equal((await s.services.store.verdicts.get(im.repository, im.digest as never))?.state, 'Passed', 'drift is flagged, not requarantined');
        assert.ok((await s.services.store.releaseEvaluations.get(im.repository, im.digest))?.violatingSince, 'the evaluation records the drift');
      }
      assert.deepEqual(perImage(await entries('release-policy.violation')), images.map(() => 1));
      assert.deepEqual(perImage(await entries('verdict.change')), images.map(() => 1), 'no verdict changed');
      const verify = await call(s.url, 'GET', '/api/v1/audit/verify', { headers: admin });
      assert.equal(verify.body.ok, true, JSON.stringify(verify.body.broken));
    });
  });
}
