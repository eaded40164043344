/**
 * The whole loop with real processes and no stand-in: `lazaret serve` (quarantine on) starts the
 * REAL built-in scanner as its child, skopeo pushes Debian-based, Alpine-based, application and
 * clean test images (test/helpers/scan-images.ts) and the scanner's database holds the fixture
 * feeds (test/helpers/scan-feeds.ts, imported with `lazaret scanner db import`). Each image gets
 * its verdict from its own findings under the default threshold (fail on Critical): the app
 * image (minimist, Critical) is Failed and stays unpullable, the others are Passed and an
 * AcrPull user pulls them with skopeo. Then kill -9 of the scanner and kill -9 of the registry
 * while a scan is in flight (submitted, no report yet): after the restarts every image has
 * exactly one verdict change and one event per change. The scanner child lives and dies with
 * `lazaret serve`: it goes when serve is killed -9 and when serve stops.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasCommand, skipUnless } from './helpers/environment.ts';
import { skopeoResultIn } from './helpers/skopeo.ts';
import { basicAuth } from './helpers/identities.ts';
import { call } from './helpers/quarantine-fixtures.ts';
import { KNOWN_VULNERABLE, writeFeeds } from './helpers/scan-feeds.ts';
import { alpineImage, appImage, cleanImage, debianImage, writeScanImageLayout, type ScanImage } from './helpers/scan-images.ts';
import { spawnServer, type SpawnedServer } from './helpers/spawn-server.ts';
import { RECEIVER_ENV, startReceiver, type Receiver } from './helpers/webhook-receiver.ts';
import { until as waitUntil } from './helpers/until.ts';
import { freePort } from './helpers/free-port.ts';

const BIN = fileURLToPath(new URL('../bin/lazaret.js', import.meta.url));
const ADMIN_PASSWORD = 'builtin-e2e-admin';
const admin = { authorization: basicAuth('admin', ADMIN_PASSWORD) };
const VULN_TYPE = 'application/vnd.lazaret.vulnerability-report.v1+json';
const STARTED = 'built-in scanner started and registered as scanner builtin';


const until = <T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 30_000) => waitUntil(what, fn, ms, 100);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The pids of the built-in scanner children this server logged, in start order. */
const scannerPids = (s: SpawnedServer): number[] =>
  s.output.flatMap((line) => {
    try {
      const e = JSON.parse(line);
      return e.msg === STARTED && typeof e.pid === 'number' ? [e.pid as number] : [];
    } catch {
      return [];
    }
  });

describe('the built-in scanner end to end: lazaret serve, skopeo, verdicts from findings, kill -9', { skip: skipUnless(hasCommand('skopeo'), 'skopeo is not installed') }, () => {
  let work: string;
  let env: Record<string, string>;
  let server: SpawnedServer;
  let host: string;
  let receiver: Receiver;
  const images: Record<string, ScanImage> = {};
  const repoOf = (name: string) => `e2e/${name}`;

  const skopeo = skopeoResultIn(() => work, { authFile: true, timeoutMs: 60_000 });
  const push = async (name: string, layout: string) => {
    const r = await skopeo('copy', '--quiet', '--preserve-digests', '--dest-tls-verify=false', '--dest-creds', 'pusher:pusher-password', `oci:${layout}:${name}`, `docker://${host}/${repoOf(name)}:v1`);
    assert.ok(r.ok, `skopeo push of ${name}: ${r.out}`);
  };
  const pull = (name: string) => skopeo('copy', '--quiet', '--src-tls-verify=false', '--src-creds', 'puller:puller-password', `docker://${host}/${repoOf(name)}:v1`, `oci:${join(work, 'out')}:${name}`);

  const jobOf = async (name: string) => (await call(server.url, 'GET', `/api/v1/scans?digest=${images[name]!.digest}`, { headers: admin })).body.scans[0];
  // The Owner sees every verdict in the queue (held manifests are not theirs to read through /acr/v1).
  const verdictOf = async (name: string) =>
    (await call(server.url, 'GET', `/api/v1/quarantine/queue?state=absent,Quarantined,Failed,Passed&repository=${repoOf(name)}`, { headers: admin })).body.manifests.find((m: { digest: string }) => m.digest === images[name]!.digest)?.quarantineState;
  const settled = async (name: string) => {
    try {
      return await until(`a verdict for ${name}`, async () => { const v = await verdictOf(name); return v === 'Passed' || v === 'Failed' ? v : undefined; }, 45_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}; its scan job: ${JSON.stringify(await jobOf(name))}`);
    }
  };
  /** Verdict changes after the one assigned at push (Quarantined). */
  const scanVerdicts = async (name: string) =>
    (await call(server.url, 'GET', `/api/v1/audit?action=verdict.change&target=${encodeURIComponent(`${repoOf(name)}@${images[name]!.digest}`)}`, { headers: admin })).body.entries.filter((e: { after: { quarantineState: string } }) => e.after.quarantineState !== 'Quarantined');
  /** `name{labels} value` lines of a /metrics scrape. */
  const metric = async (line: string) => {
    const text = await (await fetch(`http://${env.LAZARET_METRICS_LISTEN}/metrics`)).text();
    const found = text.split('\n').find((l) => l.startsWith(`${line} `));
    return found === undefined ? undefined : Number(found.slice(line.length + 1));
  };
  const start = async () => {
    server = await spawnServer(env, 90_000);
    await until('the built-in scanner', () => scannerPids(server).length > 0, 90_000);
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'lazaret-builtin-e2e-'));
    const dataDir = join(work, 'data');
    const feeds = await writeFeeds(join(work, 'feeds'));
    const imported = spawnSync(process.execPath, [BIN, 'scanner', 'db', 'import', '--data-dir', join(dataDir, 'scanner'), ...feeds.all], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(imported.status, 0, imported.stderr);
    images.debian = await debianImage();
    images.alpine = await alpineImage();
    images.app = await appImage();
    images.clean = await cleanImage();
    // Two more for the crashes (their own content: a new salt in the config, a new digest).
    images.debiancrash = await debianImage();
    images.alpinecrash = await alpineImage();
    await writeScanImageLayout(join(work, 'src'), images);
    receiver = await startReceiver();
    env = {
      ...RECEIVER_ENV,
      LAZARET_DATA_DIR: dataDir,
      // One fixed port: the restarted registry answers where the scanner's jobs point.
      LAZARET_LISTEN: `127.0.0.1:${await freePort()}`,
      LAZARET_ADMIN_PASSWORD: ADMIN_PASSWORD,
      LAZARET_SCANNER_BUILTIN: 'true',
      LAZARET_METRICS_LISTEN: `127.0.0.1:${await freePort()}`,
      // A window between submission and the first poll, for the kills; short waits otherwise.
      LAZARET_SCANNER_FIRST_POLL_MS: '1500',
      LAZARET_SCANNER_DEFAULT_REFRESH_MS: '200',
      LAZARET_SCANNER_POLL_INTERVAL_MS: '200',
      LAZARET_SCANNER_HEALTH_INTERVAL: '1',
      // Also the claim lease (4 x + 5 s): a job claimed by the killed registry is free again after 9 s.
      LAZARET_SCANNER_REQUEST_TIMEOUT: '1',
    };
    await start();
    host = server.url.replace(/^https?:\/\//, '');
    for (const [name, role] of [['pusher', 'AcrPush'], ['puller', 'AcrPull'], ['reader', 'AcrQuarantineReader']]) {
      const r = await call(server.url, 'POST', '/api/v1/users', { headers: admin, body: { name, password: `${name}-password`, roles: [{ role }] } });
      assert.equal(r.status, 201, r.text);
    }
    const hook = await call(server.url, 'PUT', '/api/v1/webhooks/scane2e', { headers: admin, body: { properties: { serviceUri: receiver.url, actions: ['push', 'quarantine', 'scan'] } } });
    assert.equal(hook.status, 201, hook.text);
    const policy = await call(server.url, 'PATCH', '/api/v1/policies', { headers: admin, body: { quarantinePolicy: { status: 'enabled' } } });
    assert.equal(policy.status, 200, policy.text);
  });
  after(async () => {
    await server?.kill();
    await receiver?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('lazaret serve starts the scanner as its child and registers it as builtin, with its database', async () => {
    const [pid] = scannerPids(server);
    assert.ok(pid && alive(pid), 'the scanner process runs');
    // With a small young generation (SCANNER_NODE_FLAGS: bounded memory while layers stream through).
    assert.ok(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('--max-semi-space-size=1'));
    const s = await until('a healthy builtin scanner', async () => { const r = await call(server.url, 'GET', '/api/v1/scanners/builtin', { headers: admin }); return r.body?.health?.state === 'healthy' ? r.body : undefined; });
    assert.equal(s.default, true);
    assert.deepEqual(s.patterns, ['*']);
    assert.ok(!Number.isNaN(Date.parse(s.vulnerabilityDatabaseUpdatedAt)), 'the imported database is reported');
  });

  test('skopeo pushes; each image is judged by its findings; AcrPull pulls the released ones, not the failed one', async () => {
    const names = ['debian', 'alpine', 'app', 'clean'];
    for (const name of names) await push(name, join(work, 'src'));
    const expected: Record<string, string> = { debian: 'Passed', alpine: 'Passed', app: 'Failed', clean: 'Passed' };
    for (const name of names) assert.equal(await settled(name), expected[name], name);
    const appRow = (await call(server.url, 'GET', `/api/v1/quarantine/queue?state=Failed&repository=e2e/app`, { headers: admin })).body.manifests[0];
    assert.match(JSON.parse(appRow.quarantineDetails).state, /^scan failed: 1 Critical/);
    assert.equal(JSON.parse(appRow.quarantineDetails).scanner, 'builtin');

    for (const name of names) {
      const job = await jobOf(name);
      assert.equal(job.state, 'succeeded');
      assert.equal(job.scanner, 'builtin');
      // The stored report names the advisories of the packages the image carries.
      const report = (await call(server.url, 'GET', `/api/v1/scans/${job.id}/report`, { headers: admin })).body;
      const found = new Set((report.vulnerabilities ?? []).map((v: { id: string; package: string }) => `${v.package} ${v.id}`));
      const wanted = KNOWN_VULNERABLE.flatMap((k) => (images[name]!.packages.some((p) => p.ecosystem === k.ecosystem && p.name === k.name && p.version === k.version) ? k.advisories.map((a) => `${k.name} ${a.id}`) : []));
      for (const w of wanted) assert.ok(found.has(w), `${name}: ${w} in ${[...found].join(', ')}`);
      assert.equal(wanted.length === 0, name === 'clean', `${name}: carries known advisories unless clean`);
      if (name === 'app') assert.ok(job.summary.counts.Critical >= 1 && job.summary.failed);
      else assert.equal(job.summary.counts.Critical, 0, name);
      // Report and both SBOMs are referrers of the image.
      const refs = await call(server.url, 'GET', `/v2/${repoOf(name)}/referrers/${images[name]!.digest}`, { headers: { authorization: basicAuth('reader', 'reader-password') } });
      assert.deepEqual(refs.body.manifests.map((m: { artifactType: string }) => m.artifactType).sort(), ['application/spdx+json', 'application/vnd.cyclonedx+json', VULN_TYPE]);
    }

    // This node's scan metrics: 3 passed, 1 failed by its findings, nothing left.
    assert.equal(await metric('lazaret_scan_jobs_finished_total{result="passed"}'), 3);
    assert.equal(await metric('lazaret_scan_jobs_finished_total{result="failed"}'), 1);
    assert.equal(await metric('lazaret_scan_jobs_queued'), 0);
    assert.equal(await metric('lazaret_scan_jobs_running'), 0);
    assert.equal(await metric('lazaret_scan_oldest_job_age_seconds'), 0);

    for (const name of ['debian', 'alpine', 'clean']) {
      const r = await pull(name);
      assert.ok(r.ok, `AcrPull pulls the released ${name}: ${r.out}`);
    }
    const held = await pull('app');
    assert.equal(held.ok, false, 'the failed image is not pullable');
    assert.match(held.out, /manifest unknown/i);
  });

  test('kill -9 of the scanner while a scan is in flight: restarted, the job completes, one verdict', async () => {
    const [pid] = scannerPids(server);
    await push('debiancrash', join(work, 'src'));
    await until('the job submitted to the scanner', async () => (await jobOf('debiancrash'))?.state === 'submitted', 20_000);
    assert.equal(await metric('lazaret_scan_jobs_running'), 1);
    assert.ok((await metric('lazaret_scan_oldest_job_age_seconds'))! > 0);
    process.kill(pid!, 'SIGKILL');
    await until('a new scanner process', () => scannerPids(server).length === 2, 30_000);
    assert.equal(alive(pid!), false);
    assert.equal(await settled('debiancrash'), 'Passed');
    assert.equal((await scanVerdicts('debiancrash')).length, 1, JSON.stringify(await scanVerdicts('debiancrash')));
  });

  test('kill -9 of the registry while a scan is in flight: its scanner goes with it; after the restart the job completes, one verdict', async () => {
    await push('alpinecrash', join(work, 'src'));
    await until('the job submitted to the scanner', async () => (await jobOf('alpinecrash'))?.state === 'submitted', 20_000);
    const pid = scannerPids(server).at(-1)!;
    await server.kill();
    // The child notices its parent is gone (its stdin closes) and exits: it never outlives serve.
    await until('the scanner child to exit', () => !alive(pid), 10_000);
    await start();
    assert.notEqual(scannerPids(server)[0], pid);
    assert.equal(await settled('alpinecrash'), 'Passed');
    for (const name of Object.keys(images)) assert.equal((await scanVerdicts(name)).length, 1, `${name}: exactly one verdict change after the hold`);
  });

  test('one event per change: each image one quarantine and one scan event, a push event once released', async () => {
    const key = (r: { json: any }) => `${r.json.action} ${r.json.target?.repository} ${r.json.target?.digest}`;
    const expectedKeys = Object.keys(images).flatMap((name) => {
      const t = `${repoOf(name)} ${images[name]!.digest}`;
      return [`quarantine ${t}`, `scan ${t}`, ...(name === 'app' ? [] : [`push ${t}`])];
    });
    await receiver.waitFor((rs) => expectedKeys.every((k) => rs.some((r) => key(r) === k)), 30_000, 'every event');
    // Deliveries are at least once (a redelivery after a kill repeats an id); events themselves are not repeated.
    const idsPerKey = new Map<string, Set<string>>();
    for (const r of receiver.received) idsPerKey.set(key(r), (idsPerKey.get(key(r)) ?? new Set()).add(r.json.id));
    assert.deepEqual([...idsPerKey.keys()].sort(), expectedKeys.sort());
    for (const [k, ids] of idsPerKey) assert.equal(ids.size, 1, `${k}: ${ids.size} distinct events`);
  });

  test('SIGTERM stops lazaret serve and its scanner child', async () => {
    const pid = scannerPids(server).at(-1)!;
    assert.ok(alive(pid));
    const exited = new Promise<number | null>((resolve) => server.process.once('exit', (code) => resolve(code)));
    server.process.kill('SIGTERM');
    assert.equal(await exited, 0);
    // serve waits for its child before it exits.
    assert.equal(alive(pid), false, 'the scanner child is gone when serve has exited');
  });
});
