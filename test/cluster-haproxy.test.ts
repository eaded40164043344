/**
 * Three `lazaret serve` processes on one PostgreSQL schema and one S3 bucket (s3rver) behind a
 * real HAProxy, configured by the example in docs/scale-out.md (only the addresses replaced), in
 * token mode with one public URL (the balancer's): test/helpers/cluster.ts. One cluster serves
 * every balancer-targeted case of the suite (starting three nodes is the slow part). HAProxy
 * names the node that answered in X-Lazaret-Node, which is how the checks below know where each
 * request went:
 *
 * - skopeo pushes through the balancer; every node serves the image. podman pushes and pulls.
 * - A chunked upload whose PATCHes reach different nodes commits.
 * - The gate through the balancer: a held image is missing for a puller on every node; a release
 *   through one node is in force on the others at once, and so is a re-quarantine.
 * - A webhook is delivered exactly once although three dispatchers share the outbox.
 * - Cached tags-list pages: a verdict, tag or policy change through one node is in every node's
 *   next list, and neither visibility class answers the other; a re-quarantine through one node
 *   is out of another node's list asked the moment it was answered (the repository generation,
 *   not the `tag-lists` notification, keeps the pages exact).
 * - The leak matrix (test/suites/leak-matrix.ts) and the OCI conformance-style suites
 *   (test/suites/distribution-*.ts) through the balancer: the same assertions as on one node.
 * - kill -9 of a node in the middle of a chunk: the client's retry through the balancer
 *   completes once the dead node's claim expires (a short storage.s3.uploadLeaseSeconds here),
 *   and no node ever serves a partial blob.
 * - The login throttle counts the attempts that reached different nodes together.
 * - kill -9 of a node: HAProxy's /readyz check takes it out, and the balancer keeps answering.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { hasCommand, postgresReachable, skipUnless } from './helpers/environment.ts';
import type { SpawnedServer } from './helpers/spawn-server.ts';
import { basicAuth } from './helpers/identities.ts';
import { pushImage, writeOciLayout } from './helpers/quarantine-fixtures.ts';
import { until } from './helpers/until.ts';
import { createRegistryClient, digestOf, type ConformanceFixture } from './helpers/registry-client.ts';
import { RECEIVER_ENV, startReceiver, type Receiver } from './helpers/webhook-receiver.ts';
import { CLUSTER_ADMIN, clusterBearer, startCluster, type Cluster } from './helpers/cluster.ts';
import { leakMatrixSuite } from './suites/leak-matrix.ts';
import { distributionBlobsSuite } from './suites/distribution-blobs.ts';
import { distributionUploadsSuite } from './suites/distribution-uploads.ts';
import { distributionManifestsSuite } from './suites/distribution-manifests.ts';
import { distributionDiscoverySuite } from './suites/distribution-discovery.ts';

const ADMIN = CLUSTER_ADMIN;
const PULLER = { user: 'puller', password: 'puller-password' };
const SCANNER = { user: 'scanner', password: 'scanner-password' };
/** Short, so the retry after a node's death mid-chunk waits seconds, not the default minute. */
const LEASE_SECONDS = 4;

const missing = [!hasCommand('haproxy') && 'haproxy', !hasCommand('skopeo') && 'skopeo', !hasCommand('podman') && 'podman', !(await postgresReachable()) && 'PostgreSQL'].filter(Boolean);
const skip = skipUnless(missing.length === 0, `not available: ${missing.join(', ')}`);

function tool(command: string, home: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(command, args, { timeout: 120_000, env: { PATH: process.env.PATH ?? '', HOME: home, XDG_RUNTIME_DIR: home } }, (err, stdout, stderr) =>
      resolve({ code: err ? 1 : 0, stdout, stderr }),
    ),
  );
}
const skopeo = (home: string, args: string[]) => tool('skopeo', home, ['--insecure-policy', ...args]);
// Its own storage under the test's directory: nothing of the machine's podman is touched.
const podman = (home: string, args: string[]) => tool('podman', home, ['--root', join(home, 'podman-root'), '--runroot', join(home, 'podman-run'), '--storage-driver', 'vfs', ...args]);

describe('three nodes behind HAProxy on one PostgreSQL and one bucket', { skip }, () => {
  let cluster: Cluster;
  let nodes: SpawnedServer[] = [];
  let lb: string;
  let host: string;
  let work: string;
  let receiver: Receiver;
  const call = (...args: Parameters<Cluster['call']>) => cluster.call(...args);
  const bearer = (who: { user: string; password: string }, scope: string) => clusterBearer(cluster, who, scope);
  const conformance = {} as ConformanceFixture;

  before(async () => {
    receiver = await startReceiver();
    cluster = await startCluster({ ...RECEIVER_ENV, LAZARET_STORAGE_S3_UPLOAD_LEASE_SECONDS: String(LEASE_SECONDS) });
    ({ nodes, lb, host, work } = cluster);
    for (const [who, role] of [[PULLER, 'AcrPull'], [SCANNER, 'AcrQuarantineWriter']] as const) {
      const created = await call('POST', '/api/v1/users', {
        auth: basicAuth(ADMIN.user, ADMIN.password),
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: who.user, password: who.password, roles: [{ role }] }),
      });
      assert.equal(created.status, 201, created.body.toString());
    }
    // The conformance suites run in token mode here: every request as the admin (Basic).
    conformance.client = createRegistryClient(lb, { authorization: basicAuth(ADMIN.user, ADMIN.password) });
    conformance.store = cluster.target().store;
  });

  after(async () => {
    await conformance.client?.close();
    await cluster?.close();
    await receiver?.close();
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
    // The suites below start from the policy off, as on a fresh node.
    assert.equal((await call('PATCH', '/api/v1/policies', { auth: admin, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ quarantinePolicy: { status: 'disabled' } }) })).status, 200);
  });

  test('cached tags-list pages: a verdict, tag or manifest change through one node is in every node\'s next lists', async () => {
    const admin = basicAuth(ADMIN.user, ADMIN.password);
    const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal((await call('PATCH', '/api/v1/policies', { auth: admin, ...json({ quarantinePolicy: { status: 'enabled' } }) })).status, 200);
    const a = await pushImage(lb, 'cluster/lists', { seed: 'lists-a', tag: 'a', headers: { authorization: admin } });
    const b = await pushImage(lb, 'cluster/lists', { seed: 'lists-b', tag: 'b', headers: { authorization: admin } });
    const scanner = await bearer(SCANNER, 'repository:cluster/lists:pull,push');
    const verdict = async (node: SpawnedServer, digest: string, state: string) =>
      assert.equal((await call('PATCH', `/acr/v1/cluster/lists/_manifests/${digest}`, { auth: scanner, base: node.url, ...json({ quarantineState: state }) })).status, 200);
    await verdict(nodes[0]!, a.digest, 'Passed');
    const puller = await bearer(PULLER, 'repository:cluster/lists:pull');
    const listed = async (node: SpawnedServer, auth: string) => {
      const r = await call('GET', '/v2/cluster/lists/tags/list', { auth, base: node.url });
      assert.equal(r.status, 200, r.body.toString());
      return JSON.stringify(r.json().tags);
    };
    /** Every node lists `want` to `auth`, asked twice (the second from the node's cache). */
    const everywhere = async (auth: string, want: string[], what: string) => {
      for (const node of nodes) {
        // The other nodes hear of the change by notification, milliseconds after its commit.
        await until(`${what} on ${node.url}`, async () => (await listed(node, auth)) === JSON.stringify(want), 10_000);
        assert.equal(await listed(node, auth), JSON.stringify(want), `${what} on ${node.url}, from its cache`);
      }
    };
    // Both visibility classes cached on every node; neither answers the other.
    await everywhere(puller, ['a'], 'the released tag only');
    await everywhere(scanner, ['a', 'b'], 'a quarantine writer sees the held one');
    await everywhere(puller, ['a'], 'still only the released tag');
    await verdict(nodes[0]!, b.digest, 'Passed');
    await everywhere(puller, ['a', 'b'], 'released on node 1');
    await verdict(nodes[2]!, b.digest, 'Quarantined');
    await everywhere(puller, ['a'], 're-quarantined on node 3');
    assert.equal((await call('PUT', '/v2/cluster/lists/manifests/c', { auth: admin, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: a.manifest })).status, 201);
    await everywhere(puller, ['a', 'c'], 'a new tag');
    assert.equal((await call('DELETE', '/v2/cluster/lists/manifests/c', { auth: admin })).status, 202);
    await everywhere(puller, ['a'], 'the tag deleted');
    assert.equal((await call('PATCH', '/api/v1/policies', { auth: admin, ...json({ quarantinePolicy: { status: 'disabled' } }) })).status, 200);
    await everywhere(puller, ['a', 'b'], 'the policy off');
  });

  test('the cross-node window: a tag re-quarantined through one node is never listed to AcrPull by another, not even right after', async () => {
    const admin = basicAuth(ADMIN.user, ADMIN.password);
    const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal((await call('PATCH', '/api/v1/policies', { auth: admin, ...json({ quarantinePolicy: { status: 'enabled' } }) })).status, 200);
    const v = await pushImage(lb, 'cluster/window', { seed: 'window-v', tag: 'v', headers: { authorization: admin } });
    const w = await pushImage(lb, 'cluster/window', { seed: 'window-w', tag: 'w', headers: { authorization: admin } });
    const scanner = await bearer(SCANNER, 'repository:cluster/window:pull,push');
    const verdict = async (node: SpawnedServer, digest: string, state: string) =>
      assert.equal((await call('PATCH', `/acr/v1/cluster/window/_manifests/${digest}`, { auth: scanner, base: node.url, ...json({ quarantineState: state }) })).status, 200);
    await verdict(nodes[0]!, v.digest, 'Passed');
    await verdict(nodes[0]!, w.digest, 'Passed');
    const puller = await bearer(PULLER, 'repository:cluster/window:pull');
    const listed = async (node: SpawnedServer) => {
      const r = await call('GET', '/v2/cluster/window/tags/list', { auth: puller, base: node.url });
      assert.equal(r.status, 200, r.body.toString());
      return JSON.stringify(r.json().tags);
    };
    // No waiting anywhere: the list on the other node is asked the moment the verdict is answered,
    // before its notification can be relied on to have arrived (each page carries its repository's
    // generation instead). Rounds over every ordered pair of nodes.
    const pairs = [[0, 1], [0, 2], [1, 0], [1, 2], [2, 0], [2, 1]] as const;
    for (let round = 0; round < 2 * pairs.length; round++) {
      const [from, to] = pairs[round % pairs.length]!.map((i) => nodes[i]!) as [SpawnedServer, SpawnedServer];
      assert.equal(await listed(to), JSON.stringify(['v', 'w']), `round ${round}: both released`);
      assert.equal(await listed(to), JSON.stringify(['v', 'w']), `round ${round}: both released, from the cache`);
      await verdict(from, w.digest, 'Quarantined');
      assert.equal(await listed(to), JSON.stringify(['v']), `round ${round}: re-quarantined on ${from.url}, not listed on ${to.url}`);
      await verdict(from, w.digest, 'Passed');
      assert.equal(await listed(to), JSON.stringify(['v', 'w']), `round ${round}: released on ${from.url}, listed on ${to.url}`);
    }
    assert.equal((await call('PATCH', '/api/v1/policies', { auth: admin, ...json({ quarantinePolicy: { status: 'disabled' } }) })).status, 200);
  });

  describe('the leak matrix through the balancer', () => leakMatrixSuite(() => cluster.target(), 'lb-'));
  describe('the OCI conformance-style suites through the balancer', () => {
    distributionBlobsSuite(conformance, false);
    distributionUploadsSuite(conformance, false);
    distributionManifestsSuite(conformance, false);
    distributionDiscoverySuite(conformance, false);
  });

  test('podman pushes and pulls through the balancer', async () => {
    // Lowercase: podman names an oci: source after its path, and image names are lowercase.
    const layout = join(work, 'podman-src');
    const { digest } = await writeOciLayout(layout, 'v1', 'podman-in-cluster');
    const loaded = await podman(work, ['pull', '--quiet', `oci:${layout}:v1`]);
    assert.equal(loaded.code, 0, loaded.stderr);
    const imageId = loaded.stdout.trim().split('\n').pop()!;
    const creds = `${ADMIN.user}:${ADMIN.password}`;
    const pushed = await podman(work, ['push', '--quiet', '--tls-verify=false', '--creds', creds, imageId, `docker://${host}/cluster/podman:v1`]);
    assert.equal(pushed.code, 0, pushed.stderr);
    await podman(work, ['rmi', '--force', imageId]);
    const pulled = await podman(work, ['pull', '--quiet', '--tls-verify=false', '--creds', creds, `${host}/cluster/podman:v1`]);
    assert.equal(pulled.code, 0, pulled.stderr);
    // podman may convert what it pushes (compression, media types): every node serves what it pushed.
    const auth = await bearer(ADMIN, 'repository:cluster/podman:pull');
    const accept = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';
    const digests = new Set<string>();
    for (const node of nodes) {
      const m = await call('GET', '/v2/cluster/podman/manifests/v1', { auth, base: node.url, headers: { accept } });
      assert.equal(m.status, 200, `${node.url}: ${m.body.toString()}`);
      digests.add(digestOf(m.body));
      for (const layer of m.json().layers as { digest: string }[]) {
        const b = await call('GET', `/v2/cluster/podman/blobs/${layer.digest}`, { auth, base: node.url });
        assert.equal(b.status, 200);
        assert.equal(digestOf(b.body), layer.digest);
      }
    }
    assert.equal(digests.size, 1, 'one manifest on every node');
    assert.ok(digest.startsWith('sha256:'));
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

  test('kill -9 of a node in the middle of a chunk: the retry through the balancer completes, and nothing partial is ever served', async () => {
    const victim = nodes[1]!;
    const survivors = [nodes[0]!, nodes[2]!];
    const auth = await bearer(ADMIN, 'repository:cluster/crash:pull,push');
    // A first chunk below a part, then one of 2.5 parts (8 MiB each): the victim dies after it
    // has uploaded parts of the second, before the chunk is acknowledged.
    const data = randomBytes(1024 * 1024 + 20 * 1024 * 1024);
    const digest = digestOf(data);
    const first = 1024 * 1024;
    const started = await call('POST', '/v2/cluster/crash/blobs/uploads/', { auth });
    assert.equal(started.status, 202, started.body.toString());
    const path = (location: string) => { const u = new URL(location, lb); return u.pathname + u.search; };
    let location = path(started.headers.location as string);
    const id = location.split('?')[0]!.split('/').at(-1)!;
    const patched = await call('PATCH', location, { auth, body: data.subarray(0, first), headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${first - 1}` } });
    assert.equal(patched.status, 202, patched.body.toString());
    location = path(patched.headers.location as string);

    // The second chunk straight to the victim, streamed: 17 MiB, then the client stalls.
    let release: () => void = () => undefined;
    const stalled = new Promise<void>((r) => (release = r));
    const sent = 17 * 1024 * 1024;
    async function* body() {
      for (let at = first; at < first + sent; at += 1024 * 1024) yield data.subarray(at, at + 1024 * 1024);
      await stalled;
    }
    const inFlight = request(`${victim.url}${location}`, {
      method: 'PATCH',
      headers: { authorization: auth, 'content-type': 'application/octet-stream', 'content-range': `${first}-${data.length - 1}`, 'content-length': String(data.length - first) },
      body: Readable.from(body()),
    }).then((r) => r.body.dump().then(() => r.statusCode), (err: Error) => err);
    // The victim has claimed the upload and started its multipart upload (the claim is in the
    // database every node reads); give it the time to upload both full parts of what it got.
    const store = cluster.target().store;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const rec = await store.blobUploadStates.get(id);
      const state = rec && JSON.parse(rec.state);
      if (state?.writer && state.mpu) break;
      if (Date.now() > deadline) throw new Error(`the victim never claimed the upload: ${rec?.state}`);
      await sleep(100);
    }
    await sleep(1500);
    await victim.kill();
    release();
    const lost = await inFlight;
    assert.ok(lost instanceof Error || lost >= 400, `the in-flight chunk was not acknowledged (${String(lost)})`);

    const notServed = async () => {
      for (const node of survivors) {
        const got = await call('GET', `/v2/cluster/crash/blobs/${digest}`, { auth, base: node.url });
        assert.equal(got.status, 404, `${node.url} serves nothing of the blob before its commit`);
      }
    };
    await notServed();
    // The client's retry, through the balancer: ask where the upload is, resend from there.
    // The dead node's claim answers 416 until it expires (LEASE_SECONDS); no timing is asserted.
    let status = await call('GET', location, { auth });
    assert.equal(status.status, 204, status.body.toString());
    assert.equal(status.headers.range, `0-${first - 1}`, 'the upload is where its last acknowledged chunk left it');
    let answered: Awaited<ReturnType<typeof call>> | undefined;
    const retryUntil = Date.now() + (LEASE_SECONDS + 30) * 1000;
    while (Date.now() < retryUntil) {
      answered = await call('PATCH', location, { auth, body: data.subarray(first), headers: { 'content-type': 'application/octet-stream', 'content-range': `${first}-${data.length - 1}` } });
      if (answered.status !== 416) break;
      assert.equal(answered.headers.range, `0-${first - 1}`, 'a refused retry names the acknowledged bytes');
      await notServed();
      await sleep(500);
    }
    assert.equal(answered?.status, 202, answered?.body.toString());
    assert.notEqual(answered!.node, 'n2');
    location = path(answered!.headers.location as string);
    status = await call('GET', location, { auth });
    assert.equal(status.headers.range, `0-${data.length - 1}`);
    await notServed();
    const url = new URL(location, lb);
    url.searchParams.set('digest', digest);
    const put = await call('PUT', url.pathname + url.search, { auth });
    assert.equal(put.status, 201, put.body.toString());
    for (const node of survivors) {
      const got = await call('GET', `/v2/cluster/crash/blobs/${digest}`, { auth, base: node.url });
      assert.equal(got.status, 200);
      assert.ok(got.body.equals(data), `${node.url} serves exactly the bytes the client sent`);
    }
  });

  test('kill -9 of a node: the /readyz check takes it out and the balancer keeps answering', async () => {
    // n2 was killed in the middle of an upload above.
    assert.notEqual(nodes[1]!.process.signalCode, null, 'n2 is dead');
    const deadline = Date.now() + 20_000;
    while (!/n2 is DOWN/.test(cluster.haproxyLog())) {
      if (Date.now() > deadline) throw new Error(`HAProxy did not take n2 out:\n${cluster.haproxyLog()}`);
      await sleep(200);
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
