/**
 * The scan orchestrator end to end over real HTTP in token mode, against a Trivy-like adapter
 * (test/helpers/trivy-like-adapter.ts) that really pulls with the credential it is given:
 * fail closed without a scanner, verdicts through the one verdict path, reports and SBOMs as
 * referrers that follow their subject, the per-job credential, a forgotten job resubmitted, a
 * dead scanner, an index judged by its children, and rescans on a database update.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from './helpers/server.ts';
import { adminAuth, basicAuth, bearer, createUser, serviceOf, startTokenServer } from './helpers/identities.ts';
import { call, pushImage, pushIndex, type PushedImage } from './helpers/quarantine-fixtures.ts';
import { startTrivyLikeAdapter, type TrivyLikeAdapter } from './helpers/trivy-like-adapter.ts';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { until } from './helpers/until.ts';

const BIN = fileURLToPath(new URL('../bin/lazaret.js', import.meta.url));
const lazaret = (args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });

const FAST = { 'scanner.firstPollMs': 50, 'scanner.defaultRefreshMs': 100, 'scanner.pollIntervalMs': 50, 'scanner.healthIntervalSeconds': 1, 'scanner.requestTimeoutSeconds': 2 };
const VULN_TYPE = 'application/vnd.lazaret.vulnerability-report.v1+json';


describe('scan orchestrator with a Trivy-like adapter', () => {
  let s: TestServer;
  let adapter: TrivyLikeAdapter;
  let push: Record<string, string>;
  const admin = { authorization: adminAuth() };

  const queueRow = async (digest: string) => (await call(s.url, 'GET', '/api/v1/quarantine/queue?state=absent,Quarantined,Failed,Passed', { headers: admin })).body.manifests.find((m: any) => m.digest === digest);
  const verdictOf = async (repo: string, digest: string) => (await s.services.store.verdicts.get(repo, digest as any))?.state;
  const settled = (repo: string, digest: string) => until(`a verdict for ${digest}`, async () => { const v = await verdictOf(repo, digest); return v === 'Passed' || v === 'Failed' ? v : undefined; });

  before(async () => {
    s = await startTokenServer(FAST);
    adapter = await startTrivyLikeAdapter({ apiKey: 'adapter-key-1' });
    await createUser(s, 'pusher', 'pusher-password', [{ role: 'AcrPush' }]);
    await createUser(s, 'puller', 'puller-password', [{ role: 'AcrPull' }]);
    await createUser(s, 'reader', 'reader-password', [{ role: 'AcrQuarantineReader' }]);
    const r = await call(s.url, 'PATCH', '/api/v1/policies', { headers: admin, body: { quarantinePolicy: { status: 'enabled' } } });
    assert.equal(r.status, 200, r.text);
    push = {};
  });
  after(async () => {
    await s.close();
    await adapter.close();
  });

  const pushAs = async (repo: string, seed: string, tag?: string): Promise<PushedImage> => {
    const authorization = await bearer(s, 'pusher', 'pusher-password', `repository:${repo}:pull,push`);
    return pushImage(s.url, repo, { seed, ...(tag ? { tag } : {}), headers: { authorization } });
  };

  test('without a scanner a pushed image stays held and the queue says why', async () => {
    const img = await pushAs('team/app', 'waiting-1', 'v1');
    push.waiting = img.digest;
    const row = await until('the queue row', async () => { const r = await queueRow(img.digest); return r?.scan?.status?.startsWith('waiting for a scanner') ? r : undefined; });
    assert.equal(row.quarantineState, 'Quarantined');
    assert.match(row.scan.status, /none is registered for team\/app/);
  });

  test('bad scanner registrations are refused with the field named', async () => {
    const bad = await call(s.url, 'POST', '/api/v1/scanners', { headers: admin, body: { name: 'x', url: 'ftp://nope' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0].detail.field, 'url');
    const badPattern = await call(s.url, 'POST', '/api/v1/scanners', { headers: admin, body: { name: 'x', url: adapter.url, patterns: ['a*b'] } });
    assert.equal(badPattern.status, 400);
    assert.equal(badPattern.body.errors[0].detail.field, 'patterns[0]');
    const puller = await call(s.url, 'POST', '/api/v1/scanners', { headers: { authorization: basicAuth('puller', 'puller-password') }, body: { name: 'x', url: adapter.url } });
    assert.equal(puller.status, 403);
  });

  test('registering the adapter reads its metadata; the waiting image is scanned and passes', async () => {
    const r = await call(s.url, 'POST', '/api/v1/scanners', { headers: admin, body: { name: 'trivy', url: adapter.url, auth: { type: 'api-key', token: 'adapter-key-1' }, default: true } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.health.state, 'healthy');
    assert.equal(r.body.scanner.name, 'Trivy');
    assert.equal(r.body.vulnerabilityDatabaseUpdatedAt, '2026-11-30T06:12:00.000Z');
    assert.deepEqual(r.body.auth, { type: 'api-key', hasSecret: true });
    assert.ok(!JSON.stringify(r.body).includes('adapter-key-1'), 'the secret is write-only');
    const again = await call(s.url, 'POST', '/api/v1/scanners', { headers: admin, body: { name: 'trivy', url: adapter.url } });
    assert.equal(again.status, 409);

    assert.equal(await settled('team/app', push.waiting!), 'Passed');
    const row = await queueRow(push.waiting!);
    const details = JSON.parse(row.quarantineDetails);
    assert.equal(details.scanner, 'trivy');
    assert.match(details.state, /^scan passed/);
    assert.equal(details.result.version, 'Trivy 0.72.0');
    assert.deepEqual(details.result.summary.map((x: any) => x.count), [0, 0, 0, 0, 0]);
    // The puller pulls the released image by tag.
    const pull = await bearer(s, 'puller', 'puller-password', 'repository:team/app:pull');
    const m = await call(s.url, 'GET', '/v2/team/app/manifests/v1', { headers: { authorization: pull, accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(m.status, 200);
    // The verdict change is audited as the scanner.
    const audit = await call(s.url, 'GET', `/api/v1/audit?action=verdict.change&target=${encodeURIComponent(`team/app@${push.waiting}`)}`, { headers: admin });
    assert.ok(audit.body.entries.some((e: any) => e.actor === 'scanner:trivy' && e.after.quarantineState === 'Passed'), JSON.stringify(audit.body));
  });

  test('the scan request carries a credential that reads exactly that repository while the job runs', async () => {
    const req = adapter.requests.find((x) => x.artifact.digest === push.waiting);
    assert.ok(req, 'the adapter got the scan request');
    assert.equal(req.registry.url, s.url);
    assert.equal(req.artifact.repository, 'team/app');
    assert.equal(req.artifact.tag, 'v1');
    const [user, password] = Buffer.from(req.registry.authorization.replace(/^Basic /, ''), 'base64').toString().split(':');
    assert.match(user!, /^scan~/);
    assert.ok(password && !password.includes(':'));
    // The job has ended: the credential no longer works.
    const t = await fetch(`${s.url}/oauth2/token?service=${serviceOf(s)}&scope=repository:team/app:pull`, { headers: { authorization: req.registry.authorization } });
    assert.equal(t.status, 401);
  });

  test('a vulnerable image fails with its advisories; its reports are referrers pull-only users never see', async () => {
    const img = await pushAs('team/app', 'vulnerable-1', 'v2');
    push.vulnerable = img.digest;
    adapter.findings.set(img.digest, [
      { id: 'CVE-2023-0286', package: 'openssl', version: '1.1.1n-0+deb11u3', fix_version: '1.1.1n-0+deb11u4', severity: 'High' },
      { id: 'CVE-2022-37434', package: 'zlib', version: '1:1.2.11.dfsg-2+deb11u1', fix_version: '1:1.2.11.dfsg-2+deb11u2', severity: 'Critical' },
    ]);
    assert.equal(await settled('team/app', img.digest), 'Failed');
    const row = await queueRow(img.digest);
    assert.match(JSON.parse(row.quarantineDetails).state, /scan failed: 1 Critical, 1 High/);
    assert.deepEqual(row.scan.topFindings.map((f: any) => f.id), ['CVE-2022-37434', 'CVE-2023-0286']);

    const reader = await bearer(s, 'reader', 'reader-password', 'repository:team/app:pull');
    const listed = await call(s.url, 'GET', `/v2/team/app/referrers/${img.digest}?artifactType=${encodeURIComponent(VULN_TYPE)}`, { headers: { authorization: reader } });
    assert.equal(listed.status, 200);
    assert.equal(listed.body.manifests.length, 1);
    const report = listed.body.manifests[0];
    assert.equal(report.artifactType, VULN_TYPE);
    const all = await call(s.url, 'GET', `/v2/team/app/referrers/${img.digest}`, { headers: { authorization: reader } });
    assert.deepEqual(all.body.manifests.map((m: any) => m.artifactType).sort(), ['application/spdx+json', 'application/vnd.cyclonedx+json', VULN_TYPE].sort());
    // The report's layer holds the report with the advisory ids.
    const rm = await call(s.url, 'GET', `/v2/team/app/manifests/${report.digest}`, { headers: { authorization: reader, accept: 'application/vnd.oci.image.manifest.v1+json' } });
    const layer = await call(s.url, 'GET', `/v2/team/app/blobs/${rm.body.layers[0].digest}`, { headers: { authorization: reader } });
    assert.deepEqual(layer.body.vulnerabilities.map((v: any) => v.id).sort(), ['CVE-2022-37434', 'CVE-2023-0286']);

    // A pull-only user: no referrers, no report manifest, no report blob.
    const pull = await bearer(s, 'puller', 'puller-password', 'repository:team/app:pull');
    const hidden = await call(s.url, 'GET', `/v2/team/app/referrers/${img.digest}`, { headers: { authorization: pull } });
    assert.ok(hidden.status === 404 || hidden.body.manifests.length === 0, hidden.text);
    const rmHidden = await call(s.url, 'GET', `/v2/team/app/manifests/${report.digest}`, { headers: { authorization: pull, accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(rmHidden.status, 403);
    const blobHidden = await call(s.url, 'GET', `/v2/team/app/blobs/${rm.body.layers[0].digest}`, { headers: { authorization: pull } });
    assert.equal(blobHidden.status, 403);
    assert.equal(await verdictOf('team/app', report.digest), 'Failed');
  });

  test("a Passed image's reports are pullable by pull-only users", async () => {
    const pull = await bearer(s, 'puller', 'puller-password', 'repository:team/app:pull');
    const listed = await call(s.url, 'GET', `/v2/team/app/referrers/${push.waiting}?artifactType=${encodeURIComponent(VULN_TYPE)}`, { headers: { authorization: pull } });
    assert.equal(listed.status, 200);
    assert.equal(listed.body.manifests.length, 1);
    const rm = await call(s.url, 'GET', `/v2/team/app/manifests/${listed.body.manifests[0].digest}`, { headers: { authorization: pull, accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(rm.status, 200);
    assert.equal(rm.body.subject.digest, push.waiting);
  });

  test('a job the adapter forgets is submitted again', async () => {
    adapter.forgetNext = 1;
    const before = adapter.requests.length;
    const img = await pushAs('team/app', 'forgotten-1');
    assert.equal(await settled('team/app', img.digest), 'Passed');
    assert.equal(adapter.requests.filter((r, i) => i >= before && r.artifact.digest === img.digest).length, 2);
    const job = (await call(s.url, 'GET', `/api/v1/scans?digest=${img.digest}`, { headers: admin })).body.scans[0];
    assert.equal(job.attempts, 2);
  });

  test('a dead scanner keeps images held with the reason; when it is back they are scanned', async () => {
    await adapter.down();
    try {
      const img = await pushAs('team/app', 'while-down-1');
      push.down = img.digest;
      const row = await until('the unreachable reason', async () => { const r = await queueRow(img.digest); return /unreachable since \d\d:\d\d/.test(r?.scan?.status ?? '') ? r : undefined; });
      assert.equal(row.quarantineState, 'Quarantined');
      const health = await call(s.url, 'GET', '/api/v1/scanners/trivy', { headers: admin });
      assert.equal(health.body.health.state, 'unreachable');
    } finally {
      await adapter.up();
    }
    assert.equal(await settled('team/app', push.down!), 'Passed');
  });

  test('an index is judged by its children', async () => {
    const authorization = await bearer(s, 'pusher', 'pusher-password', 'repository:multi/app:pull,push');
    const a = await pushImage(s.url, 'multi/app', { seed: 'idx-amd64', architecture: 'amd64', headers: { authorization } });
    const b = await pushImage(s.url, 'multi/app', { seed: 'idx-arm64', architecture: 'arm64', headers: { authorization } });
    adapter.findings.set(b.digest, [{ id: 'CVE-2024-0001', package: 'libfoo', version: '1.0', severity: 'Critical' }]);
    const index = await pushIndex(s.url, 'multi/app', [{ digest: a.digest, size: a.size, architecture: 'amd64', os: 'linux' }, { digest: b.digest, size: b.size, architecture: 'arm64', os: 'linux' }], 'latest', { authorization });
    assert.equal(await settled('multi/app', index), 'Failed');
    assert.equal(await verdictOf('multi/app', a.digest), 'Passed');
    assert.equal(await verdictOf('multi/app', b.digest), 'Failed');
  });

  test('a newer vulnerability database rescans stored results; changed findings raise a scan event and an audit entry', async () => {
    const receivedBefore = (await s.services.store.audit.list({ action: 'scan.change' })).length;
    adapter.findings.set(push.waiting!, [{ id: 'CVE-2025-1111', package: 'bash', version: '5.1-2', severity: 'Medium' }]);
    adapter.dbUpdatedAt = '2026-12-01T06:12:00Z';
    const entry = await until('a scan.change audit entry', async () => (await s.services.store.audit.list({ action: 'scan.change' })).find((e) => e.target === `team/app@${push.waiting}`));
    assert.deepEqual((entry.after as any).counts.Medium, 1);
    assert.ok((await s.services.store.audit.list({ action: 'scan.change' })).length > receivedBefore);
    // The released image stays released (what a new finding does to it is the release policy's call).
    assert.equal(await verdictOf('team/app', push.waiting!), 'Passed');
    const reader = await bearer(s, 'reader', 'reader-password', 'repository:team/app:pull');
    const listed = await call(s.url, 'GET', `/v2/team/app/referrers/${push.waiting}?artifactType=${encodeURIComponent(VULN_TYPE)}`, { headers: { authorization: reader } });
    assert.equal(listed.body.manifests.length, 2);
    assert.ok(listed.body.manifests.some((m: any) => m.annotations?.['io.lazaret.scan.supersedes']), 'the new report supersedes the old one');
  });

  test('scan jobs by tag only for who sees held metadata; a scan request by tag resolves it, or names the missing tag', async () => {
    const img = await pushAs('team/tagged', 'by-tag-1', 'v1');
    const started = await call(s.url, 'POST', '/api/v1/scans', { headers: admin, body: { repository: 'team/tagged', tag: 'v1' } });
    assert.equal(started.status, 202, started.text);
    assert.equal(started.body.digest, img.digest);
    const missingTag = await call(s.url, 'POST', '/api/v1/scans', { headers: admin, body: { repository: 'team/tagged', tag: 'nope' } });
    assert.equal(missingTag.status, 404, missingTag.text);
    assert.equal(missingTag.body.errors[0].code, 'MANIFEST_UNKNOWN');
    assert.match(missingTag.body.errors[0].message, /no tag nope in team\/tagged/);
    const byTag = async (authorization: string) => (await call(s.url, 'GET', '/api/v1/scans?repository=team/tagged&tag=v1', { headers: { authorization } })).body.scans;
    const forReader = await byTag(basicAuth('reader', 'reader-password'));
    assert.ok(forReader.length >= 1 && forReader.every((j: any) => j.digest === img.digest), JSON.stringify(forReader));
    assert.deepEqual(await byTag(basicAuth('puller', 'puller-password')), [], 'scan jobs are only for quarantine readers and configure holders');
  });

  test('the CLI: scanner list, scan REF (waits), scan report as table and SARIF, scan status', async () => {
    const env = { LAZARET_REGISTRY: s.url, LAZARET_USERNAME: 'admin', LAZARET_PASSWORD: 'test-admin-password' };
    const list = await lazaret(['scanner', 'list'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /trivy\s+http:\/\/127\.0\.0\.1:\d+\s+healthy\s+Trivy 0\.72\.0/);
    const scan = await lazaret(['scan', 'team/app:v2'], env);
    assert.equal(scan.code, 1, 'a failing image exits 1');
    assert.match(scan.stdout, /FAILED: 1 Critical, 1 High/);
    const table = await lazaret(['scan', 'report', 'team/app:v2'], env);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /CVE-2022-37434\s+Critical\s+zlib/);
    const sarif = await lazaret(['scan', 'report', `team/app@${push.vulnerable}`, '--format', 'sarif'], env);
    const doc = JSON.parse(sarif.stdout);
    assert.equal(doc.version, '2.1.0');
    assert.deepEqual(doc.runs[0].results.map((r: any) => r.ruleId).sort(), ['CVE-2022-37434', 'CVE-2023-0286']);
    const status = await lazaret(['scan', 'status', '--all'], env);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /scanner trivy: healthy/);
    const bad = await lazaret(['scanner', 'add', 'x', '--url', adapter.url, '--auth', 'weird'], env);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--auth must be/);
  });
});

describe('scan orchestrator: backlog on enable, the credential while a job runs', () => {
  let s: TestServer;
  let adapter: TrivyLikeAdapter;
  const admin = { authorization: adminAuth() };
  before(async () => {
    s = await startTokenServer(FAST);
    adapter = await startTrivyLikeAdapter({ scanMs: 1500 });
    await createUser(s, 'pusher', 'pusher-password', [{ role: 'AcrPush' }]);
    const r = await call(s.url, 'POST', '/api/v1/scanners', { headers: admin, body: { name: 'trivy', url: adapter.url, default: true } });
    assert.equal(r.status, 201, r.text);
  });
  after(async () => {
    await s.close();
    await adapter.close();
  });

  test('enabling the policy queues scans for manifests without a verdict; the job credential reads only its repository and ends with the job', async () => {
    const authorization = await bearer(s, 'pusher', 'pusher-password', 'repository:old/app:pull,push');
    const img = await pushImage(s.url, 'old/app', { seed: 'backlog-1', tag: 'v1', headers: { authorization } });
    assert.equal((await call(s.url, 'GET', `/api/v1/scans?digest=${img.digest}`, { headers: admin })).body.scans.length, 0, 'no job while the policy is off');
    const r = await call(s.url, 'PATCH', '/api/v1/policies', { headers: admin, body: { quarantinePolicy: { status: 'enabled' } } });
    assert.equal(r.status, 200);
    const req = await until('the scan request', async () => adapter.requests.find((x) => x.artifact.digest === img.digest));
    // While the job runs (the adapter takes 1.5 s): pull + quarantine read of old/app only.
    const tokenFor = async (scope: string) => {
      const t = await fetch(`${s.url}/oauth2/token?service=${serviceOf(s)}&scope=${encodeURIComponent(scope)}`, { headers: { authorization: req.registry.authorization } });
      return { status: t.status, body: (await t.json()) as { access_token?: string } };
    };
    const own = await tokenFor('repository:old/app:pull,push');
    assert.equal(own.status, 200);
    const held = await call(s.url, 'GET', `/v2/old/app/manifests/${img.digest}`, { headers: { authorization: `Bearer ${own.body.access_token}`, accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(held.status, 200, 'it reads the held image');
    const put = await call(s.url, 'PUT', '/v2/old/app/manifests/other', { headers: { authorization: `Bearer ${own.body.access_token}`, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: img.manifest });
    assert.ok(put.status === 401 || put.status === 403, `no push (the token carries no push action): ${put.status}`);
    const other = await tokenFor('repository:other/app:pull');
    const otherRead = await call(s.url, 'GET', `/v2/other/app/tags/list`, { headers: { authorization: `Bearer ${other.body.access_token}` } });
    assert.ok(otherRead.status === 401 || otherRead.status === 403 || otherRead.status === 404, `another repository: ${otherRead.status}`);
    assert.equal((await call(s.url, 'GET', '/v2/_catalog', { headers: { authorization: req.registry.authorization } })).status, 403, 'no catalog');
    assert.equal(await until('Passed', async () => ((await s.services.store.verdicts.get('old/app', img.digest as any))?.state === 'Passed' ? 'Passed' : undefined)), 'Passed');
    assert.equal((await tokenFor('repository:old/app:pull')).status, 401, 'the credential ended with its job');
  });
});
