/**
 * Garbage collection end to end on one real server (SQLite, filesystem): an image deleted with
 * skopeo is collected with a zero grace period and `du` shows the space back, while blobs shared
 * with another image stay and that image pulls back byte for byte; the default grace period
 * keeps a fresh deletion; dry runs change nothing; a repository delete and a blob unlink
 * free their blobs; uploads that no manifest references yet are a push in progress; one run at
 * a time; `lazaret gc run` prints the summary.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { hasCommand, IN_CI, skipUnless } from './helpers/environment.ts';
import { skopeoIn } from './helpers/skopeo.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { createOciLayout, readLayoutBlob, type LayoutImage } from './helpers/oci-layout.ts';
import { createRegistryClient, digestOf, type RegistryClient } from './helpers/registry-client.ts';
import { createCollector } from '../src/lifecycle/gc/collector.ts';
import type { GcSummary } from '../src/lifecycle/gc/collector.ts';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const repoRoot = new URL('..', import.meta.url).pathname;

let server: TestServer;
let client: RegistryClient;
let work: string;

const blobPath = (digest: string) => join(server.dataDir, 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7));
const onDisk = (digest: string) => existsSync(blobPath(digest));
async function du(): Promise<number> {
  const { stdout } = await run('du', ['-sk', join(server.dataDir, 'blobs')]);
  return Number(stdout.split(/\s/)[0]) * 1024;
}

/** POST /api/v1/gc and wait for the run to finish; returns the run. */
async function gc(body: Record<string, unknown>): Promise<{ status: string; summary: GcSummary; error: string | null }> {
  const res = await client.req('POST', '/api/v1/gc', { headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)) });
  assert.equal(res.status, 202, res.text());
  const id = res.json().run.id as string;
  for (;;) {
    const r = (await client.req('GET', `/api/v1/gc/runs/${id}`)).json().run;
    if (r.status !== 'running') return r;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('garbage collection', () => {
  before(async () => {
    server = await startTestServer({ 'auth.mode': 'none', 'gc.intervalSeconds': 0 });
    client = createRegistryClient(server.url);
    work = mkdtempSync(join(tmpdir(), 'lazaret-gc-'));
  });
  after(async () => {
    await client?.close();
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  describe('with skopeo', { skip: skipUnless(hasCommand('skopeo'), 'skopeo is not installed') }, () => {
    let src: string;
    let big: LayoutImage;
    let sibling: LayoutImage;
    const skopeo = skopeoIn(() => work);
    const host = () => new URL(server.url).host;

    before(async () => {
      src = join(work, 'src');
      const layout = await createOciLayout(src);
      const files = { 'shared.bin': randomBytes(256 * 1024).toString('base64') };
      // A big image (two layers of its own, 24 MiB) and a sibling sharing its first layer.
      big = await layout.addImage({ files, layerSizes: [12 * MiB, 12 * MiB] });
      sibling = await layout.addImage({ files, layerSizes: [64 * 1024] });
      assert.equal(big.layers[0]!.digest, sibling.layers[0]!.digest);
      await layout.writeIndex({ big: big.manifest, sibling: sibling.manifest });
    });

    test('an image deleted with skopeo is collected with grace 0s; shared blobs stay; du shows the space back', async () => {
      for (const tag of ['big', 'sibling']) await skopeo('copy', '--quiet', '--preserve-digests', '--dest-tls-verify=false', '--dest-no-creds', `oci:${src}:${tag}`, `docker://${host()}/gc/${tag}:1`);
      const [shared, ...own] = big.layers;
      for (const d of [big.manifest, big.config, ...big.layers, sibling.manifest, ...sibling.layers]) assert.ok(onDisk(d.digest), `${d.digest} pushed`);
      const before = await du();

      await skopeo('delete', '--tls-verify=false', '--no-creds', `docker://${host()}/gc/big:1`);
      // The default grace period (24 h) keeps what was just deleted.
      const kept = await gc({});
      assert.equal(kept.status, 'done');
      assert.equal(kept.summary.blobsDeleted, 0);
      assert.ok(own.every((d) => onDisk(d.digest)));

      const dry = await gc({ dryRun: true, gracePeriod: '0s' });
      assert.equal(dry.summary.dryRun, true);
      assert.equal(dry.summary.blobsDeleted, 4, 'a dry run tells: manifest, config, two own layers');
      assert.ok(own.every((d) => onDisk(d.digest)), 'a dry run deletes nothing');

      const done = await gc({ gracePeriod: '0s' });
      assert.equal(done.status, 'done', done.error ?? '');
      assert.equal(done.summary.blobsDeleted, 4);
      assert.ok(done.summary.bytesFreed >= 24 * MiB, `freed ${done.summary.bytesFreed}`);
      for (const d of [big.manifest, big.config, ...own]) assert.equal(onDisk(d.digest), false, `${d.digest} collected`);
      assert.ok(onDisk(shared!.digest), 'the layer the sibling shares stays');
      const after = await du();
      assert.ok(before - after >= 24 * MiB, `du: ${before} -> ${after}`);

      // The sibling is whole: pulled back byte for byte.
      const out = join(work, 'out');
      await skopeo('copy', '--quiet', '--preserve-digests', '--src-tls-verify=false', '--src-no-creds', `docker://${host()}/gc/sibling:1`, `oci:${out}:s`);
      for (const d of [sibling.manifest, sibling.config, ...sibling.layers]) assert.ok((await readLayoutBlob(src, d.digest)).equals(await readLayoutBlob(out, d.digest)), d.digest);

      // A second run finds nothing more, and /api/v1/status says when the last one finished.
      assert.equal((await gc({ gracePeriod: '0s' })).summary.blobsDeleted, 0);
      const status = (await client.req('GET', '/api/v1/status')).json();
      assert.match(status.lastGc, /^\d{4}-\d\d-\d\dT/);
    });
  });

  test('a repository delete and a blob unlink free their blobs; a blob still referenced elsewhere stays', async () => {
    const a = await client.pushImage('gc-repo/a', 'v1', { layers: [randomBytes(1000), 'gc shared layer'] });
    const b = await client.pushImage('gc-repo/b', 'v1', { layers: ['gc shared layer'] });
    const lone = await client.pushBlob('gc-repo/b', randomBytes(500));
    assert.equal((await client.req('DELETE', '/acr/v1/gc-repo/a')).status, 202);
    assert.equal((await client.req('DELETE', `/v2/gc-repo/b/blobs/${lone}`)).status, 202);
    const r = await gc({ gracePeriod: '0s' });
    assert.equal(r.status, 'done', r.error ?? '');
    for (const d of [a.digest, digestOf(a.config), digestOf(a.layers[0]!), lone]) assert.equal(onDisk(d), false, `${d} collected`);
    for (const d of [b.digest, digestOf(b.config), digestOf('gc shared layer')]) assert.ok(onDisk(d), `${d} kept`);
    assert.equal((await client.req('GET', `/v2/gc-repo/b/blobs/${digestOf('gc shared layer')}`)).status, 200);
  });

  test('a blob no manifest references yet is a push in progress: kept for the in-flight window, then collected', async () => {
    const pending = await client.pushBlob('gc-inflight', randomBytes(700));
    assert.equal((await gc({ gracePeriod: '0s' })).summary.blobsDeleted, 0);
    assert.ok(onDisk(pending));
    // The same collector two hours later (a clock the test controls): the push was abandoned.
    const later = createCollector({ store: server.services.store, blobs: server.services.blobs, logger: pino({ level: 'silent' }), settings: { gracePeriodMs: 0, inFlightMs: 3600_000 }, now: () => Date.now() + 2 * 3600_000 });
    const started = await later.start();
    assert.ok(started.started);
    const finished = await started.done;
    assert.equal(finished.status, 'done', finished.error);
    assert.equal(onDisk(pending), false);
    assert.equal((await client.req('HEAD', `/v2/gc-inflight/blobs/${pending}`)).status, 404, 'its link went with it');
  });

  test('one run at a time: a second start while one runs is 409 CONFLICT; a bad grace period is 400', async () => {
    const post = (body: object) => client.req('POST', '/api/v1/gc', { headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)) });
    const [first, second] = await Promise.all([post({ dryRun: true }), post({ dryRun: true })]);
    const statuses = [first.status, second.status].sort();
    assert.deepEqual(statuses, [202, 409]);
    const refused = first.status === 409 ? first : second;
    assert.equal(refused.json().errors[0].code, 'CONFLICT');
    assert.match(refused.json().errors[0].message, /already running/);
    await server.services.gc.idle();
    const bad = await post({ gracePeriod: 'soon' });
    assert.equal(bad.status, 400);
    assert.match(bad.json().errors[0].message, /gracePeriod "soon" is not a duration/);
  });

  test('lazaret gc run --grace-period 0s prints what it freed; --dry-run changes nothing', { skip: skipUnless(IN_CI || existsSync(join(repoRoot, 'dist')), 'the CLI is not built (npm run build)') }, async () => {
    const image = await client.pushImage('gc-cli', 'v1', { layers: [randomBytes(3000)] });
    assert.equal((await client.req('DELETE', `/v2/gc-cli/manifests/${image.digest}`)).status, 202);
    const cli = (...args: string[]) => run(process.execPath, [join(repoRoot, 'bin/lazaret.js'), ...args, '--registry', server.url], { env: { ...process.env, HOME: work } });
    const dry = await cli('gc', 'run', '--dry-run', '--grace-period', '0s');
    assert.match(dry.stdout, /^dry run: would delete 3 blobs, .* would be freed/m);
    assert.ok(onDisk(image.digest));
    const real = await cli('gc', 'run', '--grace-period', '0s');
    assert.match(real.stdout, /^deleted 3 blobs, [\d.]+ KiB \(\d+ bytes\) freed; .*grace period 0s/m);
    assert.equal(onDisk(image.digest), false);
    const status = await cli('gc', 'status');
    assert.match(status.stdout, /grace period 24h, in-flight window 1h, schedule off/);
    await assert.rejects(cli('gc', 'run', '--grace-period', 'tomorrow'), /--grace-period tomorrow is not a duration/);
  });
});
