/**
 * Retention with soft delete on (docs/storage-lifecycle.md "Soft delete" and "Retention"), on
 * SQLite and PostgreSQL, with images pushed by the real skopeo and a clock the test controls:
 * the manifests a tag rule and an untagged rule delete go to the recycle bin (a dry run first,
 * changing nothing); a zero-grace collection keeps their blobs; one is restored and pulls back
 * byte for byte, and the next retention run leaves it; once the bin's days are over the
 * collector purges the others and frees their blobs, and only theirs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { hasCommand, skipUnless } from './helpers/environment.ts';
import { DATABASES, onDatabase } from './helpers/databases.ts';
import { skopeoIn } from './helpers/skopeo.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { createOciLayout, readLayoutBlob, type LayoutImage } from './helpers/oci-layout.ts';
import { call } from './helpers/quarantine-fixtures.ts';
import { retentionDeps, runRetention } from '../src/lifecycle/retention/run.ts';
import { createCollector, type GcSummary } from '../src/lifecycle/gc/collector.ts';

const DAY = 86_400_000;
const MANIFEST_TYPES = 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json';
const REPO = 'rbin/app';
const skopeoMissing = skipUnless(hasCommand('skopeo'), 'skopeo is not installed');

for (const database of DATABASES) {
  const db = onDatabase(database, 'retbin');
  describe(`retention with the recycle bin (${database})`, { skip: db.skip || skopeoMissing }, () => {
    let server: TestServer;
    let work: string;
    const images: Record<string, LayoutImage> = {};
    const skopeo = skopeoIn(() => work);
    const host = () => new URL(server.url).host;
    const api = (method: string, path: string, body?: unknown) => call(server.url, method, path, body === undefined ? {} : { body });
    const onDisk = (digest: string) => existsSync(join(server.dataDir, 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7)));
    const blobsOf = (i: LayoutImage) => [i.manifest.digest, i.config.digest, ...i.layers.map((l) => l.digest)];
    const present = async (digest: string) => (await call(server.url, 'HEAD', `/v2/${REPO}/manifests/${digest}`, { headers: { accept: MANIFEST_TYPES } })).status === 200;
    const binned = async () => ((await api('GET', `/api/v1/recycle-bin?repository=${REPO}`)).body.entries as { digest: string; tags: (string | { name: string })[]; deletedBy: string }[]);
    const push = (name: string, tag: string) => skopeo('copy', '--quiet', '--preserve-digests', '--dest-tls-verify=false', '--dest-no-creds', `oci:${join(work, 'src')}:${name}`, `docker://${host()}/${REPO}:${tag}`);
    const collector = (days: number) =>
      createCollector({ store: server.services.store, blobs: server.services.blobs, logger: pino({ level: 'silent' }), settings: { gracePeriodMs: 0, inFlightMs: 3_600_000 }, now: () => Date.now() + days * DAY });
    async function collect(days: number): Promise<GcSummary> {
      const r = await collector(days).start({});
      assert.ok(r.started);
      const done = await r.done;
      assert.equal(done.status, 'done', done.error ?? '');
      return done.summary as GcSummary;
    }

    before(async () => {
      server = await startTestServer({ 'auth.mode': 'none', 'gc.intervalSeconds': 0, 'scanner.builtin': false, 'recycleBin.days': 7, ...db.config });
      work = mkdtempSync(join(tmpdir(), 'lazaret-retbin-'));
      const layout = await createOciLayout(join(work, 'src'));
      for (const name of ['old1', 'old2', 'new1', 'new2', 'scratch']) images[name] = await layout.addImage({ layerSizes: [64 * 1024] });
      await layout.writeIndex(Object.fromEntries(Object.entries(images).map(([name, i]) => [name, i.manifest])));
    });
    after(async () => {
      await server?.close();
      await db.drop();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    test('retention deletions go to the bin; GC keeps them; one restored pulls back byte for byte; expired, the rest are freed', async () => {
      // Oldest first; `tmp` first names scratch, then new2: scratch is left untagged.
      for (const [name, tag] of [['old1', 'old1'], ['old2', 'old2'], ['scratch', 'tmp'], ['new1', 'new1'], ['new2', 'new2'], ['new2', 'tmp']]) await push(name!, tag!);
      const set = await api('PUT', '/api/v1/retention', { tags: [{ repositories: 'rbin/*', keepLast: 3 }], untagged: [{ repositories: 'rbin/*', days: 3 }] });
      assert.equal(set.status, 200, set.text);
      const deps = retentionDeps(server.services);
      const later = Date.now() + 4 * DAY;

      const dry = await runRetention(deps, { dryRun: true, now: later, requestId: 'retbin-dry' });
      const digests = (names: string[]) => names.map((n) => images[n]!.manifest.digest).sort();
      assert.deepEqual(dry.planned.filter((d) => d.kind === 'tag').map((d) => d.tag).sort(), ['old1', 'old2']);
      assert.deepEqual(dry.planned.filter((d) => d.kind === 'manifest').map((d) => d.digest).sort(), digests(['old1', 'old2', 'scratch']));
      assert.deepEqual(await binned(), [], 'a dry run bins nothing');
      assert.ok(await present(images.old1!.manifest.digest));

      const run = await runRetention(deps, { now: later, requestId: 'retbin-run' });
      assert.deepEqual(run.result!.deleted, dry.planned, 'the run did what the dry run said');
      assert.deepEqual(run.result!.skipped, []);
      for (const n of ['old1', 'old2', 'scratch']) assert.equal(await present(images[n]!.manifest.digest), false, `${n} is gone from /v2`);
      for (const n of ['new1', 'new2']) assert.ok(await present(images[n]!.manifest.digest), `${n} kept`);
      const inBin = await binned();
      assert.deepEqual(inBin.map((e) => e.digest).sort(), digests(['old1', 'old2', 'scratch']), 'each deleted manifest is in the bin');
      assert.ok(inBin.every((e) => e.deletedBy === 'retention'), JSON.stringify(inBin));
      // Retention deletes a tag before the image it leaves untagged; the bin keeps the image with
      // the tags this run deleted. scratch lost `tmp` to a push, not to retention: none.
      const binnedTags = Object.fromEntries(inBin.map((e) => [e.digest, e.tags.map((t) => (typeof t === 'string' ? t : t.name))]));
      assert.deepEqual(binnedTags, { [images.old1!.manifest.digest]: ['old1'], [images.old2!.manifest.digest]: ['old2'], [images.scratch!.manifest.digest]: [] });
      const audit = (await api('GET', '/api/v1/audit?action=retention.delete&n=50')).body.entries.map((e: { target: string }) => e.target).sort();
      assert.deepEqual(audit, [`${REPO}:old1`, `${REPO}:old2`, ...digests(['old1', 'old2', 'scratch']).map((d) => `${REPO}@${d}`)].sort());

      // A zero grace period frees nothing the bin holds.
      const kept = await collect(0);
      assert.equal(kept.recycledPurged, 0);
      for (const n of ['old1', 'old2', 'scratch']) for (const d of blobsOf(images[n]!)) assert.ok(onDisk(d), `${n}'s ${d} kept for the bin`);

      const restored = await api('POST', '/api/v1/recycle-bin/restore', { repository: REPO, digest: images.old1!.manifest.digest });
      assert.equal(restored.status, 200, restored.text);
      assert.deepEqual(restored.body.tags, ['old1'], 'the tag retention deleted comes back with its image');
      const out = join(work, 'out');
      await skopeo('copy', '--quiet', '--preserve-digests', '--src-tls-verify=false', '--src-no-creds', `docker://${host()}/${REPO}:old1`, `oci:${out}:old1`);
      for (const d of blobsOf(images.old1!)) assert.ok((await readLayoutBlob(join(work, 'src'), d)).equals(await readLayoutBlob(out, d)), `${d} byte for byte`);
      // Restored, its tag counts as pushed now: kept by keepLast, so new1's tag, now the oldest
      // of four, is the one the next run would take (with the image it leaves untagged); the
      // restored image itself is not deleted again at once.
      const again = (await runRetention(deps, { dryRun: true, requestId: 'retbin-again' })).planned;
      assert.deepEqual(again.map((d) => [d.kind, d.tag ?? d.digest, d.reason]), [['tag', 'new1', 'count'], ['manifest', images.new1!.manifest.digest, 'tags-deleted']]);

      // Eight days on the bin's seven are over: the collector purges the two left and frees their blobs.
      const expired = await collect(8);
      assert.equal(expired.recycledPurged, 2);
      assert.deepEqual(await binned(), []);
      for (const n of ['old2', 'scratch']) for (const d of blobsOf(images[n]!)) assert.equal(onDisk(d), false, `${n}'s ${d} freed`);
      for (const n of ['old1', 'new1', 'new2']) for (const d of blobsOf(images[n]!)) assert.ok(onDisk(d), `${n}'s ${d} kept`);
      assert.ok(await present(images.old1!.manifest.digest), 'the restored one stays');
    });
  });
}
