/**
 * Soft delete on real servers (docs/storage-lifecycle.md "Soft delete"): a manifest deleted with
 * skopeo leaves /v2, is listed in the recycle bin, is restored with the tags that are still
 * free and pulls back byte for byte; garbage collection keeps a binned manifest's blobs and,
 * once the entry expires by a clock the test controls, purges it and frees them; an Owner's
 * purge does the same at once. In token mode: only Owners see or restore the bin, a binned
 * manifest is missing for quarantine readers too, and a held manifest restored stays held. Where
 * a release policy governs, a signature restored takes its subject's verdict of now.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { hasCommand, skipUnless } from './helpers/environment.ts';
import { skopeoIn } from './helpers/skopeo.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { createOciLayout, readLayoutBlob, type LayoutImage } from './helpers/oci-layout.ts';
import { call, pushImage, type PushedImage } from './helpers/quarantine-fixtures.ts';
import { adminAuth, basicAuth, createUser, startTokenServer } from './helpers/identities.ts';
import { startReceiver, RECEIVER_CONFIG, type Receiver } from './helpers/webhook-receiver.ts';
import { createCollector, type GcSummary } from '../src/lifecycle/gc/collector.ts';
import { cosignKey, pushCosignSignature } from './helpers/release-policy.ts';

const MiB = 1024 * 1024;
const DAY = 86_400_000;
const MANIFEST_TYPES = 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json';

describe('soft delete (auth none, recycleBin.days 7)', () => {
  let server: TestServer;
  let work: string;
  let receiver: Receiver;
  const onDisk = (digest: string) => existsSync(join(server.dataDir, 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7)));
  const api = (method: string, path: string, body?: unknown) => call(server.url, method, path, body === undefined ? {} : { body });
  const headManifest = async (repository: string, ref: string) => (await call(server.url, 'HEAD', `/v2/${repository}/manifests/${ref}`, { headers: { accept: MANIFEST_TYPES } })).status;
  async function gc(body: Record<string, unknown>): Promise<GcSummary> {
    const started = await api('POST', '/api/v1/gc', body);
    assert.equal(started.status, 202, started.text);
    for (;;) {
      const r = (await api('GET', `/api/v1/gc/runs/${started.body.run.id}`)).body.run;
      if (r.status !== 'running') {
        assert.equal(r.status, 'done', r.error ?? '');
        return r.summary;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  before(async () => {
    server = await startTestServer({ 'auth.mode': 'none', 'gc.intervalSeconds': 0, 'scanner.builtin': false, 'recycleBin.days': 7, 'events.pollIntervalMs': 100, ...RECEIVER_CONFIG });
    work = mkdtempSync(join(tmpdir(), 'lazaret-bin-'));
    receiver = await startReceiver();
    const hook = await api('PUT', '/api/v1/webhooks/binhook', { properties: { serviceUri: receiver.url, actions: ['delete'], scope: '' } });
    assert.equal(hook.status, 201, hook.text);
  });
  after(async () => {
    await server?.close();
    await receiver?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  describe('with skopeo', { skip: skipUnless(hasCommand('skopeo'), 'skopeo is not installed') }, () => {
    let src: string;
    let image: LayoutImage;
    const skopeo = skopeoIn(() => work);
    const host = () => new URL(server.url).host;

    before(async () => {
      src = join(work, 'src');
      const layout = await createOciLayout(src);
      image = await layout.addImage({ layerSizes: [3 * MiB, 4096] });
      await layout.writeIndex({ app: image.manifest });
    });

    test('deleted with skopeo: gone on /v2, kept by GC, listed, restored with its free tags, pulls back byte for byte', async () => {
      const repo = 'bin/app';
      await skopeo('copy', '--quiet', '--preserve-digests', '--dest-tls-verify=false', '--dest-no-creds', `oci:${src}:app`, `docker://${host()}/${repo}:1`);
      await skopeo('copy', '--quiet', '--preserve-digests', '--dest-tls-verify=false', '--dest-no-creds', `oci:${src}:app`, `docker://${host()}/${repo}:latest`);
      const digest = image.manifest.digest;

      await skopeo('delete', '--tls-verify=false', '--no-creds', `docker://${host()}/${repo}:1`);
      for (const ref of [digest, '1', 'latest']) assert.equal(await headManifest(repo, ref), 404, `${ref} is gone from /v2`);
      const deleted = await receiver.waitFor((all) => all.some((r) => r.json?.action === 'delete'), 10_000, 'the delete event');
      assert.equal(deleted.find((r) => r.json?.action === 'delete')!.json.target.digest, digest, 'a delete event as for any delete');

      // A zero grace period frees nothing the bin holds.
      const kept = await gc({ gracePeriod: '0s' });
      assert.equal(kept.blobsDeleted, 0);
      for (const d of [image.manifest, image.config, ...image.layers]) assert.ok(onDisk(d.digest), `${d.digest} kept for the bin`);

      const listed = await api('GET', '/api/v1/recycle-bin');
      assert.equal(listed.status, 200, listed.text);
      assert.equal(listed.body.days, 7);
      const entry = listed.body.entries.find((e: { digest: string }) => e.digest === digest);
      assert.deepEqual(entry.tags, ['1', 'latest']);
      assert.equal(entry.repository, repo);
      assert.equal(Date.parse(entry.expiresAt) - Date.parse(entry.deletedAt), 7 * DAY);

      // Meanwhile `latest` names another image: the restore leaves it there.
      const other = await pushImage(server.url, repo, { seed: 'bin-other', tag: 'latest' });
      const restored = await api('POST', '/api/v1/recycle-bin/restore', { repository: repo, digest });
      assert.equal(restored.status, 200, restored.text);
      assert.deepEqual(restored.body.tags, ['1']);
      assert.deepEqual(restored.body.skippedTags, ['latest']);
      assert.equal((await call(server.url, 'GET', `/v2/${repo}/manifests/latest`, { headers: { accept: MANIFEST_TYPES } })).headers['docker-content-digest'], other.digest);
      assert.equal((await api('GET', '/api/v1/recycle-bin')).body.entries.length, 0, 'out of the bin');

      const out = join(work, 'out');
      await skopeo('copy', '--quiet', '--preserve-digests', '--src-tls-verify=false', '--src-no-creds', `docker://${host()}/${repo}:1`, `oci:${out}:app`);
      for (const d of [image.manifest, image.config, ...image.layers]) assert.ok((await readLayoutBlob(src, d.digest)).equals(await readLayoutBlob(out, d.digest)), `${d.digest} byte for byte`);

      const audit = (await api('GET', '/api/v1/audit?action=recycle-bin.restore')).body.entries;
      assert.equal(audit[0].target, `${repo}@${digest}`);
      assert.deepEqual(audit[0].details.skippedTags, ['latest']);
      const again = await api('POST', '/api/v1/recycle-bin/restore', { repository: repo, digest });
      assert.equal(again.status, 404);
      assert.equal(again.body.errors[0].code, 'NOT_FOUND');
    });
  });

  test('expiry by the collector, with a clock the test controls, then GC frees the blobs; dry run first', async () => {
    const img = await pushImage(server.url, 'bin/expire', { seed: 'bin-expire', tag: 'v1' });
    assert.equal((await call(server.url, 'DELETE', `/v2/bin/expire/manifests/${img.digest}`)).status, 202);
    const blobs = [img.digest, img.config, ...img.layers];
    const collector = (days: number) =>
      createCollector({ store: server.services.store, blobs: server.services.blobs, logger: pino({ level: 'silent' }), settings: { gracePeriodMs: 0, inFlightMs: 3_600_000 }, now: () => Date.now() + days * DAY });

    // Six days on: not expired; nothing freed.
    const early = await (await startRun(collector(6))).done;
    assert.equal((early.summary as GcSummary).recycledPurged, 0);
    assert.ok(blobs.every(onDisk));
    // Eight days on: a dry run tells and changes nothing; a run purges and frees.
    const dry = await (await startRun(collector(8), { dryRun: true })).done;
    assert.equal((dry.summary as GcSummary).recycledPurged, 1);
    assert.equal((await api('GET', '/api/v1/recycle-bin?repository=bin/expire')).body.entries.length, 1);
    const done = await (await startRun(collector(8))).done;
    assert.equal(done.status, 'done', done.error ?? '');
    assert.equal((done.summary as GcSummary).recycledPurged, 1);
    assert.equal((done.summary as GcSummary).blobsDeleted, 3);
    for (const d of blobs) assert.equal(onDisk(d), false, `${d} freed`);
    assert.equal((await api('GET', '/api/v1/recycle-bin?repository=bin/expire')).body.entries.length, 0);
    const audit = (await api('GET', '/api/v1/audit?action=recycle-bin.expire')).body.entries;
    assert.equal(audit[0].target, `bin/expire@${img.digest}`);
    assert.equal(audit[0].actor, 'gc');
  });

  test('purge: gone for good, GC frees it; bad targets are 400 naming the field', async () => {
    const img = await pushImage(server.url, 'bin/purge', { seed: 'bin-purge', tag: 'v1' });
    assert.equal((await call(server.url, 'DELETE', `/v2/bin/purge/manifests/${img.digest}`)).status, 202);
    const purged = await api('POST', '/api/v1/recycle-bin/purge', { repository: 'bin/purge', digest: img.digest });
    assert.equal(purged.status, 200, purged.text);
    assert.equal((await api('POST', '/api/v1/recycle-bin/restore', { repository: 'bin/purge', digest: img.digest })).status, 404);
    await gc({ gracePeriod: '0s' });
    for (const d of [img.digest, img.config, ...img.layers]) assert.equal(onDisk(d), false, `${d} freed`);
    const bad = await api('POST', '/api/v1/recycle-bin/restore', { repository: 'bin/purge', digest: 'sha256:nothex' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0].detail.field, 'digest');
  });
});

/** Starts a run on `collector` and returns its start result (asserting it started). */
async function startRun(collector: ReturnType<typeof createCollector>, options: { dryRun?: boolean } = {}) {
  const r = await collector.start(options);
  assert.ok(r.started);
  return r;
}

describe('soft delete in token mode: who sees the bin, held stays held', () => {
  let s: TestServer;
  let held: PushedImage;
  const PW = 'bin-password';
  const as = (user: string) => ({ authorization: basicAuth(user, PW) });

  before(async () => {
    s = await startTokenServer({ 'gc.intervalSeconds': 0, 'scanner.builtin': false, 'recycleBin.days': 3 });
    await createUser(s, 'puller', PW, [{ role: 'AcrPull' }]);
    await createUser(s, 'contributor', PW, [{ role: 'Contributor' }]);
    await createUser(s, 'reader', PW, [{ role: 'AcrQuarantineReader' }]);
    assert.equal((await call(s.url, 'PATCH', '/api/v1/policies', { headers: { authorization: adminAuth() }, body: { quarantinePolicy: { status: 'enabled' } } })).status, 200);
    held = await pushImage(s.url, 'held/app', { seed: 'bin-held', tag: '1', headers: { authorization: adminAuth() } });
    assert.equal((await s.services.store.verdicts.get(held.repository, held.digest as never))?.state, 'Quarantined');
    assert.equal((await call(s.url, 'DELETE', `/v2/held/app/manifests/${held.digest}`, { headers: { authorization: adminAuth() } })).status, 202);
  });
  after(() => s?.close());

  test('only an Owner lists, restores or purges; the others are DENIED and change nothing', async () => {
    for (const user of ['puller', 'contributor', 'reader']) {
      const list = await call(s.url, 'GET', '/api/v1/recycle-bin', { headers: as(user) });
      assert.equal(list.status, 403, `${user} lists`);
      assert.equal(list.body.errors[0].code, 'DENIED');
      const restore = await call(s.url, 'POST', '/api/v1/recycle-bin/restore', { headers: as(user), body: { repository: 'held/app', digest: held.digest } });
      assert.equal(restore.status, 403, `${user} restores`);
      assert.equal((await call(s.url, 'POST', '/api/v1/recycle-bin/purge', { headers: as(user), body: { repository: 'held/app', digest: held.digest } })).status, 403);
    }
    const owner = await call(s.url, 'GET', '/api/v1/recycle-bin', { headers: { authorization: adminAuth() } });
    assert.equal(owner.status, 200);
    assert.deepEqual(owner.body.entries.map((e: { digest: string; quarantineState: string }) => [e.digest, e.quarantineState]), [[held.digest, 'Quarantined']]);
  });

  test('binned: missing on /v2 for a quarantine reader too; restored: still held, the reader sees it again, the puller does not', async () => {
    const get = (user: string, ref: string) => call(s.url, 'GET', `/v2/held/app/manifests/${ref}`, { headers: { ...as(user), accept: MANIFEST_TYPES } });
    const binned = await get('reader', held.digest);
    assert.equal(binned.status, 404);
    assert.equal(binned.body.errors[0].code, 'MANIFEST_UNKNOWN');
    const restored = await call(s.url, 'POST', '/api/v1/recycle-bin/restore', { headers: { authorization: adminAuth() }, body: { repository: 'held/app', digest: held.digest } });
    assert.equal(restored.status, 200, restored.text);
    assert.deepEqual(restored.body.tags, ['1']);
    assert.equal((await s.services.store.verdicts.get(held.repository, held.digest as never))?.state, 'Quarantined', 'a restore releases nothing');
    assert.equal((await get('reader', '1')).status, 200);
    assert.equal((await get('puller', '1')).status, 404, 'held: a missing tag for a pull-only caller');
    assert.equal((await get('puller', held.digest)).status, 403);
  });
});

describe('soft delete of a signature where a release policy governs: restored, it follows its subject again', () => {
  let s: TestServer;
  const admin = { authorization: adminAuth() };
  const verdict = async (repo: string, digest: string) => (await s.services.store.verdicts.get(repo, digest as never))?.state;

  before(async () => {
    s = await startTokenServer({ 'gc.intervalSeconds': 0, 'scanner.builtin': false, 'recycleBin.days': 3 });
    await createUser(s, 'puller', 'bin-password', [{ role: 'AcrPull' }]);
    await createUser(s, 'releaser', 'bin-password', [{ role: 'AcrQuarantineWriter' }]);
    const applied = await call(s.url, 'POST', '/api/v1/release-policies', {
      headers: admin,
      body: { document: { name: 'signed', repositories: ['signed/*'], rules: [{ name: 'signed-by-ci', signatures: { min: 1, cosign: { keys: [cosignKey().publicPem] } } }] } },
    });
    assert.ok(applied.status === 200 || applied.status === 201, applied.text);
    await s.services.releasePolicy.idle();
  });
  after(() => s?.close());

  for (const scheme of ['tag', 'referrer'] as const) {
    test(`a ${scheme} signature binned while its subject was released is restored released, audited`, async () => {
      const repo = `signed/${scheme}`;
      const img = await pushImage(s.url, repo, { seed: `bin-signed-${scheme}`, tag: 'v1', headers: admin });
      await s.services.releasePolicy.idle();
      assert.equal(await verdict(repo, img.digest), 'Quarantined', 'held by the policy');
      // A key the policy does not list: the subject stays held, the signature follows it.
      const sig = await pushCosignSignature(s.url, repo, img.digest, cosignKey(), { scheme, headers: admin, subjectSize: img.size });
      await s.services.releasePolicy.idle();
      assert.equal(await verdict(repo, sig), 'Quarantined', 'the signature follows its held subject');

      assert.equal((await call(s.url, 'DELETE', `/v2/${repo}/manifests/${sig}`, { headers: admin })).status, 202);
      const released = await call(s.url, 'PATCH', `/acr/v1/${repo}/_manifests/${encodeURIComponent(img.digest)}`, { headers: { authorization: basicAuth('releaser', 'bin-password') }, body: { quarantineState: 'Passed' } });
      assert.equal(released.status, 200, released.text);
      assert.equal(await verdict(repo, img.digest), 'Passed');

      const restored = await call(s.url, 'POST', '/api/v1/recycle-bin/restore', { headers: admin, body: { repository: repo, digest: sig } });
      assert.equal(restored.status, 200, restored.text);
      assert.equal(await verdict(repo, sig), 'Passed', 'the subject\'s current verdict, not the one it was binned with');
      const puller = { authorization: basicAuth('puller', 'bin-password'), accept: 'application/vnd.oci.image.manifest.v1+json' };
      assert.equal((await call(s.url, 'GET', `/v2/${repo}/manifests/${sig}`, { headers: puller })).status, 200, 'pullable with its released subject');
      const audit = (await call(s.url, 'GET', '/api/v1/audit?action=verdict.change&n=100', { headers: admin })).body.entries.find((e: { target: string }) => e.target === `${repo}@${sig}`);
      assert.equal(audit.actor, 'system');
      assert.deepEqual([audit.before, audit.after], [{ quarantineState: 'Quarantined' }, { quarantineState: 'Passed' }]);
      assert.match(audit.details, new RegExp(`restored from the recycle bin: .* follows its subject ${img.digest}`));
      const restore = (await call(s.url, 'GET', '/api/v1/audit?action=recycle-bin.restore', { headers: admin })).body.entries.find((e: { target: string }) => e.target === `${repo}@${sig}`);
      assert.equal(restore.details.follows, img.digest);
    });
  }
});
