/**
 * Untagged-manifest retention on a real server, with a clock the test controls: a rule per
 * repository pattern deletes old untagged manifests, subjects before their referrers (a held
 * image's report never before the image), and keeps tagged ones, index children, locked ones,
 * referrers of live subjects and subjects of a wanted referrer; a dry run deletes nothing;
 * deletions are audited; the policy is validated. On SQLite and on PostgreSQL.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { buildImage, digestOf, OCI, useRegistryServer } from './helpers/registry-client.ts';
import { retentionDeps, runRetention } from '../src/lifecycle/retention/run.ts';
import { createGcSchedule } from '../src/lifecycle/gc/schedule.ts';
import pino from 'pino';
import { DATABASES, onDatabase } from './helpers/databases.ts';

const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)) });
const DAY = 86_400_000;

for (const database of DATABASES) {
  const db = onDatabase(database, 'retuntagged');
  describe(`untagged-manifest retention (${database})`, { skip: db.skip }, () => {
    const fixture = useRegistryServer({ 'auth.mode': 'none', 'gc.intervalSeconds': 0, 'scanner.builtin': false, ...db.config });
    after(db.drop);

    async function push(repository: string, reference: string | undefined, options: Parameters<typeof buildImage>[0] = {}) {
      const image = buildImage({ layers: [randomBytes(64)], ...options });
      for (const blob of [image.config, ...image.layers]) await fixture.client.pushBlob(repository, blob);
      const digest = digestOf(image.manifestBytes);
      await fixture.client.pushManifest(repository, reference ?? digest, image.manifestBytes, image.manifest.mediaType);
      return { digest, size: image.manifestBytes.length };
    }
    const exists = async (repository: string, digest: string) => (await fixture.client.req('HEAD', `/v2/${repository}/manifests/${digest}`, { headers: { accept: `${OCI.manifest}, ${OCI.index}` } })).status === 200;

    test('old untagged manifests go, subjects before referrers; what is named, locked or wanted stays', async () => {
      const { client, server } = fixture;
      const repo = 'ret/app';
      const tagged = await push(repo, 'v1');
      const untagged = await push(repo, undefined);
      const locked = await push(repo, undefined);
      assert.equal((await client.req('PATCH', `/acr/v1/${repo}/_manifests/${locked.digest}`, json({ deleteEnabled: false }))).status, 200);
      const child = await push(repo, undefined);
      const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI.index, manifests: [{ mediaType: OCI.manifest, digest: child.digest, size: child.size, platform: { architecture: 'amd64', os: 'linux' } }] }));
      await client.pushManifest(repo, 'multi', index, OCI.index);
      const signature = await push(repo, undefined, { artifactType: 'application/vnd.example.signature', subject: { mediaType: OCI.manifest, ...tagged } });
      // An untagged image with a report attached (as a scan leaves it), and one whose referrer is tagged.
      const subject = await push(repo, undefined);
      const report = await push(repo, undefined, { artifactType: 'application/vnd.example.report', subject: { mediaType: OCI.manifest, ...subject } });
      const keptSubject = await push(repo, undefined);
      const wantedReferrer = await push(repo, 'sbom', { artifactType: 'application/vnd.example.sbom', subject: { mediaType: OCI.manifest, ...keptSubject } });
      const elsewhere = await push('other/app', undefined);

      assert.equal((await client.req('PUT', '/api/v1/retention', json({ untagged: [{ repositories: 'ret/*', days: 7 }] }))).status, 200);
      const deps = retentionDeps(server.services);

      // Today nothing is seven days old; eight days on, a dry run tells, deleting nothing.
      assert.deepEqual((await runRetention(deps, { dryRun: true, requestId: 'r0' })).planned, []);
      const later = Date.now() + 8 * DAY;
      const dry = await runRetention(deps, { dryRun: true, now: later, requestId: 'r1' });
      const planned: string[] = dry.planned.map((d) => d.digest);
      assert.deepEqual([...planned].sort(), [untagged.digest, subject.digest, report.digest].sort());
      assert.ok(planned.indexOf(subject.digest) < planned.indexOf(report.digest), 'the subject before its report');
      assert.equal(dry.planned.find((d) => d.digest === report.digest)!.reason, 'referrer');
      assert.ok(await exists(repo, untagged.digest), 'a dry run deletes nothing');

      const run = await runRetention(deps, { now: later, requestId: 'r2' });
      assert.deepEqual(run.result!.deleted.map((d) => d.digest), planned);
      for (const d of [untagged, subject, report]) assert.equal(await exists(repo, d.digest), false, `${d.digest} deleted`);
      for (const d of [tagged, locked, child, signature, keptSubject, wantedReferrer]) assert.ok(await exists(repo, d.digest), `${d.digest} kept`);
      assert.ok(await exists('other/app', elsewhere.digest), 'no rule, nothing deleted');

      const audit = (await client.req('GET', '/api/v1/audit?action=retention.delete')).json().entries;
      assert.deepEqual(audit.map((e: { target: string }) => e.target).sort(), planned.map((d) => `${repo}@${d}`).sort());
      assert.equal(audit[0].actor, 'retention');
    });

    test('over HTTP: a 0-day rule deletes at the next run; dry run first; the schedule applies it; bad rules are 400', async () => {
      const { client } = fixture;
      const fresh = await push('ret0/app', undefined);
      assert.equal((await client.req('PUT', '/api/v1/retention', json({ untagged: [{ repositories: 'ret0/app', days: 0 }] }))).status, 200);
      assert.deepEqual((await client.req('GET', '/api/v1/retention')).json(), { untagged: [{ repositories: 'ret0/app', days: 0 }], tags: [] });
      const dry = (await client.req('POST', '/api/v1/retention/run', json({ dryRun: true }))).json();
      assert.deepEqual(dry.deletions.map((d: { digest: string }) => d.digest), [fresh.digest]);
      assert.ok(await exists('ret0/app', fresh.digest));
      const real = (await client.req('POST', '/api/v1/retention/run', json({}))).json();
      assert.deepEqual(real.deletions.map((d: { digest: string }) => d.digest), [fresh.digest]);
      assert.equal(await exists('ret0/app', fresh.digest), false);
      // The schedule: once an interval has passed since the newest run, a run starts, retention first.
      const again = await push('ret0/app', undefined);
      const before = (await fixture.server.services.gc.runs(1))[0]?.id;
      const schedule = createGcSchedule({ collector: fixture.server.services.gc, intervalSeconds: 1, checkEveryMs: 100, logger: pino({ level: 'silent' }) });
      schedule.start();
      let scheduled;
      for (let i = 0; i < 100 && !scheduled; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        scheduled = (await fixture.server.services.gc.runs(1)).find((r) => r.id !== before && r.status === 'done');
      }
      await schedule.stop();
      assert.ok(scheduled, 'a scheduled run happened');
      assert.equal((scheduled.summary as { manifestsDeleted: number }).manifestsDeleted, 1);
      assert.equal(await exists('ret0/app', again.digest), false);

      const bad = await client.req('PUT', '/api/v1/retention', json({ untagged: [{ repositories: 'Not A Pattern', days: 3 }] }));
      assert.equal(bad.status, 400);
      assert.match(bad.json().errors[0].message, /untagged\[0\]\.repositories "Not A Pattern" is not a repository pattern/);
    });
  });
}
