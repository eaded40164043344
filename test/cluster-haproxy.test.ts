/**
 * Three `lazaret serve` processes on one PostgreSQL schema and one S3 bucket (s3rver) behind a
 * real HAProxy, configured by the example in docs/scale-out.md (only the addresses replaced), in
 * token mode with one public URL (the balancer's). HAProxy names the node that answered in
 * X-Lazaret-Node, which is how the checks below know where each request went:
 *
 * - skopeo pushes through the balancer; every node serves the image.
 * - A chunked upload whose PATCHes reach different nodes commits.
 * - The gate through the balancer: a held image is missing for a puller on every node; a release
 *   through one node is in force on the others at once, and so is a re-quarantine.
 * - A webhook is delivered exactly once although three dispatchers share the outbox.
 * - The login throttle counts the attempts that reached different nodes together.
 * - kill -9 of a node: HAProxy's /readyz check takes it out, and the balancer keeps answering.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { hasCommand, postgresReachable, skipUnless, TEST_DATABASE_URL, dropTestSchema } from './helpers/environment.ts';
import { spawnServer, type SpawnedServer } from './helpers/spawn-server.ts';
import { createTestBucket, type TestBucket } from './helpers/s3-server.ts';
import { basicAuth } from './helpers/identities.ts';
import { writeOciLayout } from './helpers/quarantine-fixtures.ts';
import { digestOf } from './helpers/registry-client.ts';
import { RECEIVER_ENV, startReceiver, type Receiver } from './helpers/webhook-receiver.ts';
import { freePort } from './helpers/free-port.ts';

const DOCS = new URL('../docs/scale-out.md', import.meta.url);
const ADMIN = { user: 'admin', password: 'cluster-admin-password' };
const PULLER = { user: 'puller', password: 'puller-password' };
const SCANNER = { user: 'scanner', password: 'scanner-password' };

const missing = [!hasCommand('haproxy') && 'haproxy', !hasCommand('skopeo') && 'skopeo', !(await postgresReachable()) && 'PostgreSQL'].filter(Boolean);
const skip = skipUnless(missing.length === 0, `not available: ${missing.join(', ')}`);


/** The HAProxy example of docs/scale-out.md with local addresses. */
export function haproxyConfigFromDocs(bind: string, servers: string[]): string {
  const block = /```haproxy\n([\s\S]*?)```/.exec(readFileSync(DOCS, 'utf8'))?.[1];
  if (!block) throw new Error('docs/scale-out.md has no ```haproxy example');
  let n = 0;
  const config = block
    .replace(/^(\s*bind)\s.*$/m, `$1 ${bind}`)
    .replace(/^(\s*server\s+\S+)\s+\S+/gm, (_m, head: string) => `${head} ${servers[n++]}`);
  if (n !== servers.length) throw new Error(`the example has ${n} servers, the test runs ${servers.length}`);
  return config;
}

function skopeo(home: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) =>
    execFile('skopeo', ['--insecure-policy', ...args], { timeout: 60_000, env: { PATH: process.env.PATH ?? '', HOME: home } }, (err, _stdout, stderr) =>
      resolve({ code: err ? 1 : 0, stderr }),
    ),
  );
}

describe('three nodes behind HAProxy on one PostgreSQL and one bucket', { skip }, () => {
  const schema = `cluster_${randomBytes(4).toString('hex')}`;
  const work = mkdtempSync(join(tmpdir(), 'lazaret-cluster-'));
  let bucket: TestBucket;
  let nodes: SpawnedServer[] = [];
  let haproxy: ChildProcess;
  let haproxyLog = '';
  let lb: string;
  let host: string;
  let receiver: Receiver;

  /** A request through the balancer (or to `base`), with the node that answered. */
  async function call(method: string, path: string, options: { auth?: string; body?: Buffer | string; headers?: Record<string, string>; base?: string } = {}) {
    const res = await request(`${options.base ?? lb}${path}`, {
      method: method as 'GET',
      headers: { ...(options.auth ? { authorization: options.auth } : {}), ...options.headers },
      ...(options.body !== undefined ? { body: options.body } : {}),
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    return { status: res.statusCode, headers: res.headers, body, node: res.headers['x-lazaret-node'] as string | undefined, json: () => JSON.parse(body.toString()) };
  }
  /** A bearer token for `scope`, asked through the balancer. */
  async function bearer(who: { user: string; password: string }, scope: string) {
    const res = await call('GET', `/oauth2/token?service=${encodeURIComponent(host)}&scope=${encodeURIComponent(scope)}`, { auth: basicAuth(who.user, who.password) });
    assert.equal(res.status, 200, res.body.toString());
    return `Bearer ${res.json().access_token}`;
  }

  before(async () => {
    bucket = await createTestBucket();
    receiver = await startReceiver();
    const ports = [await freePort(), await freePort(), await freePort()];
    const lbPort = await freePort();
    lb = `http://127.0.0.1:${lbPort}`;
    host = `127.0.0.1:${lbPort}`;
    const env = (port: number) => ({
      LAZARET_LISTEN: `127.0.0.1:${port}`,
      LAZARET_BASE_URL: lb,
      LAZARET_DATABASE_URL: `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}schema=${schema}`,
      LAZARET_DATA_DIR: join(work, `node-${port}`),
      LAZARET_ADMIN_PASSWORD: ADMIN.password,
      LAZARET_LOG_LEVEL: 'warn',
      LAZARET_STORAGE_DRIVER: 's3',
      LAZARET_STORAGE_S3_BUCKET: bucket.settings.bucket,
      LAZARET_STORAGE_S3_ENDPOINT: bucket.settings.endpoint,
      LAZARET_STORAGE_S3_FORCE_PATH_STYLE: 'true',
      LAZARET_STORAGE_S3_ACCESS_KEY_ID: bucket.settings.accessKeyId,
      LAZARET_STORAGE_S3_SECRET_ACCESS_KEY: bucket.settings.secretAccessKey,
      ...RECEIVER_ENV,
    });
    // The first migrates the schema and creates the admin; the other two start together.
    // (warn level hides the "listening" line spawnServer waits for: it is logged at info.)
    const start = (port: number) => spawnServer({ ...env(port), LAZARET_LOG_LEVEL: 'info' }, 90_000);
    nodes = [await start(ports[0]!)];
    nodes.push(...(await Promise.all([start(ports[1]!), start(ports[2]!)])));

    const cfg = join(work, 'haproxy.cfg');
    writeFileSync(cfg, haproxyConfigFromDocs(`127.0.0.1:${lbPort}`, ports.map((p) => `127.0.0.1:${p}`)));
    haproxy = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    haproxy.stdout!.on('data', (c: Buffer) => (haproxyLog += c));
    haproxy.stderr!.on('data', (c: Buffer) => (haproxyLog += c));
    // Ready once the balancer has answered from every node.
    const seen = new Set<string>();
    const deadline = Date.now() + 30_000;
    while (seen.size < 3) {
      if (Date.now() > deadline) throw new Error(`HAProxy did not reach all nodes (saw ${[...seen]}):\n${haproxyLog}`);
      const r = await call('GET', '/healthz').catch(() => undefined);
      if (r?.status === 200 && r.node) seen.add(r.node);
      else await new Promise((res) => setTimeout(res, 200));
    }
    for (const [who, role] of [[PULLER, 'AcrPull'], [SCANNER, 'AcrQuarantineWriter']] as const) {
      const created = await call('POST', '/api/v1/users', {
        auth: basicAuth(ADMIN.user, ADMIN.password),
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: who.user, password: who.password, roles: [{ role }] }),
      });
      assert.equal(created.status, 201, created.body.toString());
    }
  });

  after(async () => {
    haproxy?.kill('SIGKILL');
    await Promise.all(nodes.map((n) => n.kill()));
    await bucket?.destroy();
    await receiver?.close();
    await dropTestSchema(schema);
    rmSync(work, { recursive: true, force: true });
  });

  test('skopeo pushes and pulls through the balancer; every node serves the image', async () => {
    const layout = join(work, 'src');
    const { digest, layer } = await writeOciLayout(layout, 'v1', 'cluster');
    const creds = `${ADMIN.user}:${ADMIN.password}`;
    const push = await skopeo(work, ['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layout}:v1`, `docker://${host}/cluster/app:v1`]);
    assert.equal(push.code, 0, push.stderr);
    const pull = await skopeo(work, ['copy', '--src-tls-verify=false', '--src-creds', creds, `docker://${host}/cluster/app:v1`, `oci:${join(work, 'pulled')}:v1`]);
    assert.equal(pull.code, 0, pull.stderr);
    const auth = await bearer(ADMIN, 'repository:cluster/app:pull');
    for (const node of nodes) {
      const m = await call('GET', '/v2/cluster/app/manifests/v1', { auth, base: node.url, headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
      assert.equal(m.status, 200, `${node.url}: ${m.body.toString()}`);
      assert.equal(digestOf(m.body), digest);
      const b = await call('GET', `/v2/cluster/app/blobs/${layer}`, { auth, base: node.url });
      assert.equal(b.status, 200);
      assert.equal(digestOf(b.body), layer);
    }
  });

  test('a chunked upload whose PATCHes reach different nodes commits', async () => {
    const auth = await bearer(ADMIN, 'repository:cluster/chunked:pull,push');
    // Below the 8 MiB part size: every PATCH adds to the upload's tail object, and the saved
    // SHA-256 state, both kept where every node finds them (test/s3-storage.test.ts and the
    // driver's suite cover full parts).
    const data = randomBytes(3 * 1024 * 1024 + 123);
    const digest = digestOf(data);
    const started = await call('POST', '/v2/cluster/chunked/blobs/uploads/', { auth });
    assert.equal(started.status, 202, started.body.toString());
    let location = started.headers.location as string;
    const cuts = [0, 1024 * 1024, 2 * 1024 * 1024 + 7, 3 * 1024 * 1024, data.length];
    const patchedBy = new Set<string>();
    for (let i = 0; i + 1 < cuts.length; i++) {
      const res = await call('PATCH', new URL(location, lb).pathname + new URL(location, lb).search, {
        auth,
        body: data.subarray(cuts[i], cuts[i + 1]),
        headers: { 'content-type': 'application/octet-stream', 'content-range': `${cuts[i]}-${cuts[i + 1]! - 1}` },
      });
      assert.equal(res.status, 202, res.body.toString());
      patchedBy.add(res.node!);
      location = res.headers.location as string;
    }
    assert.ok(patchedBy.size >= 2, `the PATCHes reached ${[...patchedBy]}`);
    const url = new URL(location, lb);
    url.searchParams.set('digest', digest);
    const put = await call('PUT', url.pathname + url.search, { auth });
    assert.equal(put.status, 201, put.body.toString());
    for (const node of nodes) {
      const got = await call('GET', `/v2/cluster/chunked/blobs/${digest}`, { auth, base: node.url });
      assert.equal(got.status, 200);
      assert.ok(got.body.equals(data), `${node.url} serves the whole blob`);
    }
  });

  test('a webhook is delivered exactly once, whichever node took the push', async () => {
    const admin = basicAuth(ADMIN.user, ADMIN.password);
    const hook = await call('PUT', '/api/v1/webhooks/clusterhook', {
      auth: admin,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ properties: { serviceUri: `${receiver.url}/hook`, actions: ['push'], scope: 'cluster/hooked:*' } }),
    });
    assert.ok(hook.status === 200 || hook.status === 201, hook.body.toString());
    const layout = join(work, 'hooked');
    const { digest } = await writeOciLayout(layout, 'v1', 'hooked');
    const push = await skopeo(work, ['copy', '--dest-tls-verify=false', '--dest-creds', `${ADMIN.user}:${ADMIN.password}`, `oci:${layout}:v1`, `docker://${host}/cluster/hooked:v1`]);
    assert.equal(push.code, 0, push.stderr);
    const pushes = (all: typeof receiver.received) => all.filter((r) => r.json?.action === 'push' && r.json?.target?.digest === digest);
    await receiver.waitFor((all) => pushes(all).length >= 1, 20_000, 'the push event');
    // Three dispatchers poll and wake on every commit; give a duplicate time to show up.
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(pushes(receiver.received).length, 1, 'delivered once');
  });

  test('the gate through the balancer: held is missing on every node; a release or re-quarantine on one node is in force on the others at once', async () => {
    const admin = basicAuth(ADMIN.user, ADMIN.password);
    const enabled = await call('PATCH', '/api/v1/policies', { auth: admin, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ quarantinePolicy: { status: 'enabled' } }) });
    assert.equal(enabled.status, 200, enabled.body.toString());
    const layout = join(work, 'held');
    const { digest } = await writeOciLayout(layout, 'v1', 'held-in-cluster');
    const push = await skopeo(work, ['copy', '--dest-tls-verify=false', '--dest-creds', `${ADMIN.user}:${ADMIN.password}`, `oci:${layout}:v1`, `docker://${host}/cluster/held:v1`]);
    assert.equal(push.code, 0, push.stderr);

    const puller = await bearer(PULLER, 'repository:cluster/held:pull');
    const pullOn = (node: SpawnedServer) => call('GET', '/v2/cluster/held/manifests/v1', { auth: puller, base: node.url, headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    const missingTag = (await pullOn(nodes[0]!)).body.toString();
    for (const node of nodes) {
      const r = await pullOn(node);
      assert.equal(r.status, 404, node.url);
      assert.equal(r.body.toString(), missingTag, 'the same answer from every node');
      const tags = await call('GET', '/v2/cluster/held/tags/list', { auth: puller, base: node.url });
      assert.equal(tags.status, 404, 'a repository holding only held content is missing to the puller');
    }
    assert.equal(JSON.parse(missingTag).errors[0].code, 'MANIFEST_UNKNOWN');

    const verdict = async (node: SpawnedServer, state: string) => {
      const auth = await bearer(SCANNER, 'repository:cluster/held:pull,push');
      const r = await call('PATCH', `/acr/v1/cluster/held/_manifests/${digest}`, { auth, base: node.url, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ quarantineState: state }) });
      assert.equal(r.status, 200, r.body.toString());
    };
    await verdict(nodes[0]!, 'Passed');
    assert.equal((await pullOn(nodes[1]!)).status, 200, 'released on node 1, pullable on node 2 at once');
    assert.equal((await pullOn(nodes[2]!)).status, 200, 'and on node 3');
    await verdict(nodes[2]!, 'Quarantined');
    assert.equal((await pullOn(nodes[0]!)).status, 404, 're-quarantined on node 3, hidden on node 1 at once');
    assert.equal((await pullOn(nodes[1]!)).status, 404);
  });

  test('the login throttle counts attempts on every node together', async () => {
    const ghost = basicAuth('ghost-of-the-cluster', 'wrong-password');
    const tried = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const r = await call('GET', `/oauth2/token?service=${encodeURIComponent(host)}&scope=registry:catalog:*`, { auth: ghost });
      assert.equal(r.status, 401, `attempt ${i + 1}`);
      tried.add(r.node!);
    }
    assert.equal(tried.size, 3, `the five attempts reached ${[...tried]}`);
    // The sixth, on whichever node: refused before any password check, as on one node.
    for (const node of nodes) {
      const r = await call('GET', `/oauth2/token?service=${encodeURIComponent(host)}&scope=registry:catalog:*`, { auth: ghost, base: node.url });
      assert.equal(r.status, 429, node.url);
      assert.ok(r.headers['retry-after']);
    }
  });

  test('kill -9 of a node: the /readyz check takes it out and the balancer keeps answering', async () => {
    const victim = nodes[1]!;
    await victim.kill();
    const deadline = Date.now() + 20_000;
    while (!/n2 is DOWN/.test(haproxyLog)) {
      if (Date.now() > deadline) throw new Error(`HAProxy did not take n2 out:\n${haproxyLog}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const answered = new Set<string>();
    const auth = await bearer(ADMIN, 'registry:catalog:*');
    for (let i = 0; i < 6; i++) {
      const r = await call('GET', '/v2/', { auth });
      assert.equal(r.status, 200);
      answered.add(r.node!);
    }
    assert.deepEqual([...answered].sort(), ['n1', 'n3']);
  });
});
