/**
 * Garbage collection with two nodes on one PostgreSQL schema and one S3 bucket (s3rver): the
 * collector lock lets one node collect at a time (the other's request is 409 while it runs),
 * a deleted image's objects leave the bucket while a shared layer stays, and the push race
 * holds across nodes (pushes through both, the collector on one, advisory locks between them).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { createRegistryClient, digestOf, type RegistryClient } from './helpers/registry-client.ts';
import { createTestBucket, type TestBucket } from './helpers/s3-server.ts';
import { postgresReachable, skipUnless, TEST_DATABASE_URL, dropTestSchema } from './helpers/environment.ts';
import { createCollector } from '../src/lifecycle/gc/collector.ts';
import { race } from './helpers/gc-race.ts';

describe('garbage collection: two nodes, PostgreSQL, S3', { skip: skipUnless(await postgresReachable(), `PostgreSQL not reachable at ${TEST_DATABASE_URL}`) }, () => {
  const schema = `lazaret_gc_${randomBytes(5).toString('hex')}`;
  let bucket: TestBucket;
  const nodes: TestServer[] = [];
  let clients: RegistryClient[] = [];
  const post = (c: RegistryClient, body: object) => c.req('POST', '/api/v1/gc', { headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)) });

  before(async () => {
    bucket = await createTestBucket();
    const overrides = { 'auth.mode': 'none', 'storage.driver': 's3', 'storage.s3': bucket.settings, databaseUrl: `${TEST_DATABASE_URL}?schema=${schema}`, 'gc.intervalSeconds': 0, 'scanner.builtin': false };
    for (let i = 0; i < 2; i++) nodes.push(await startTestServer(overrides));
    clients = nodes.map((n) => createRegistryClient(n.url));
  });
  after(async () => {
    for (const c of clients) await c.close();
    for (const n of nodes) await n.close();
    await bucket?.destroy();
    await dropTestSchema(schema);
  });

  test('one collector at a time across nodes; a deleted image leaves the bucket, a shared layer stays', async () => {
    const [a, b] = clients as [RegistryClient, RegistryClient];
    const shared = randomBytes(5000);
    const gone = await a.pushImage('cluster/gone', 'v1', { layers: [shared, randomBytes(9000)] });
    const stays = await b.pushImage('cluster/stays', 'v1', { layers: [shared] });
    assert.equal((await b.req('DELETE', `/v2/cluster/gone/manifests/${gone.digest}`)).status, 202);
    const key = (d: string) => `blobs/sha256/${d.slice(7, 9)}/${d.slice(7)}`;
    const own = [gone.digest, digestOf(gone.config), digestOf(gone.layers[1]!)];
    for (const d of own) assert.ok((await bucket.keys()).includes(key(d)));

    // While node 0 holds the collector lock, node 1 refuses to start one.
    await nodes[0]!.services.store.gc.exclusive(async () => {
      const refused = await post(b, { gracePeriod: '0s' });
      assert.equal(refused.status, 409, refused.text());
      assert.equal(refused.json().errors[0].code, 'CONFLICT');
    });

    // Both try at once: at most one runs at a time, and between them the garbage goes.
    const results = await Promise.all([post(a, { gracePeriod: '0s' }), post(b, { gracePeriod: '0s' })]);
    assert.ok(results.some((r) => r.status === 202), results.map((r) => r.text()).join(' '));
    for (const r of results) assert.ok(r.status === 202 || r.status === 409);
    await Promise.all(nodes.map((n) => n.services.gc.idle()));
    const runs = await nodes[0]!.services.gc.runs(5);
    assert.equal(runs[0]!.status, 'done', runs[0]!.error);
    const keys = await bucket.keys();
    for (const d of own) assert.equal(keys.includes(key(d)), false, `${d} left the bucket`);
    assert.ok(keys.includes(key(digestOf(shared))), 'the shared layer stays');
    for (const c of clients) {
      const res = await c.req('GET', `/v2/cluster/stays/blobs/${digestOf(shared)}`);
      assert.equal(res.status, 200);
      assert.ok(res.body.equals(shared));
    }
    assert.equal(stays.digest.startsWith('sha256:'), true);
  });

  test('the push race across nodes: pushes through both, a collector without in-flight window on one', async (t) => {
    const collector = createCollector({ store: nodes[1]!.services.store, blobs: nodes[1]!.services.blobs, logger: pino({ level: 'silent' }), settings: { gracePeriodMs: 0, inFlightMs: 0 } });
    const r = await race(nodes, collector);
    t.diagnostic(`kept ${r.kept}, deleted ${r.deleted}, refused ${r.refused.length}, gc runs ${r.runs}, blobs collected ${r.freed}`);
    for (const why of r.refused) assert.match(why, /^(manifest 400 MANIFEST_BLOB_UNKNOWN|blob upload 400)$/, 'refused cleanly');
    assert.ok(r.kept >= 1 && r.runs >= 2, `enough happened: ${JSON.stringify({ ...r, refused: r.refused.length })}`);
  });
});
