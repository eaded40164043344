/**
 * Durability of webhook delivery with the real `lazaret serve` processes:
 * - SIGKILL with deliveries pending (the receiver is down), start again: every event arrives;
 * - two registry processes on one PostgreSQL database: every event is delivered once per
 *   webhook, never to the same receiver twice at the same time.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { spawnServer, type SpawnedServer } from './helpers/spawn-server.ts';
import { startReceiver, type Receiver, RECEIVER_ENV } from './helpers/webhook-receiver.ts';
import { call, pushImage } from './helpers/quarantine-fixtures.ts';
import { TEST_DATABASE_URL, skipUnless, postgresReachable } from './helpers/environment.ts';

const EVENTS_ENV = {
  ...RECEIVER_ENV,
  LAZARET_AUTH_MODE: 'none',
  LAZARET_EVENTS_BACKOFF_BASE_MS: '50',
  LAZARET_EVENTS_BACKOFF_MAX_MS: '300',
  LAZARET_EVENTS_POLL_INTERVAL_MS: '100',
  LAZARET_EVENTS_ATTEMPT_TIMEOUT_MS: '500',
  LAZARET_EVENTS_MAX_ATTEMPTS: '100',
};

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function webhook(url: string, name: string, serviceUri: string) {
  const res = await call(url, 'PUT', `/api/v1/webhooks/${name}`, { body: { properties: { serviceUri, actions: ['push', 'quarantine'] } } });
  assert.equal(res.status, 201, res.text);
}

test('SIGKILL with deliveries pending: after a restart every event is delivered', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lazaret-durable-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  let up = false;
  const receiver = await startReceiver(() => (up ? 200 : 503));
  cleanups.push(() => receiver.close());
  const env = { ...EVENTS_ENV, LAZARET_DATA_DIR: dataDir };

  const first = await spawnServer(env);
  cleanups.push(() => first.kill());
  await webhook(first.url, 'durable1', receiver.url);
  for (let i = 0; i < 4; i++) await pushImage(first.url, 'durable/app', { seed: `durable${i}`, tag: `v${i}` });
  // Every event has been tried at least once and failed: all are pending in the outbox.
  await receiver.waitFor((rs) => new Set(rs.map((r) => r.json.id)).size === 8, 10_000, 'a first attempt of all 8 events');
  await first.kill();
  const seen = new Set(receiver.received.map((r) => r.json.id));

  up = true;
  const before = receiver.received.length;
  const second = await spawnServer(env);
  cleanups.push(() => second.kill());
  const delivered = () => new Set(receiver.received.slice(before).map((r) => r.json.id));
  await receiver.waitFor(() => delivered().size === 8, 15_000, 'all 8 events after the restart');
  assert.deepEqual([...delivered()].sort(), [...seen].sort(), 'the same event ids, nothing lost');
  const hook = await call(second.url, 'GET', '/api/v1/webhooks/durable1');
  for (let i = 0; i < 40 && hook.body.properties.deliveries.delivered < 8; i++) {
    await new Promise((r) => setTimeout(r, 100));
    Object.assign(hook, await call(second.url, 'GET', '/api/v1/webhooks/durable1'));
  }
  assert.deepEqual(hook.body.properties.deliveries, { pending: 0, delivered: 8, failed: 0 });
  await second.stop();
});


test('two registry processes on one PostgreSQL: each event once per webhook, never concurrently', { skip: skipUnless(await postgresReachable(), 'PostgreSQL is not reachable') }, async () => {
  const database = `lazaret_events_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database "${database}"`);
  cleanups.push(async () => {
    await admin.query(`drop database if exists "${database}" with (force)`);
    await admin.end();
  });
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${database}`;

  // Receivers answer after a short delay (a wide window for overlaps) and fail the first
  // attempt of the events of tag t0, so retries are claimed by either node.
  const attempts = new Map<string, number>();
  const receivers: Receiver[] = [];
  for (const name of ['a', 'b']) {
    const r = await startReceiver((req) => {
      const key = `${name}:${req.json.id}`;
      const n = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, n);
      return { status: n === 1 && req.json.target.tag === 't0' ? 500 : 200, delayMs: 40 };
    });
    receivers.push(r);
    cleanups.push(() => r.close());
  }

  const servers: SpawnedServer[] = [];
  for (let i = 0; i < 2; i++) {
    const dataDir = mkdtempSync(join(tmpdir(), `lazaret-node${i}-`));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const s = await spawnServer({ ...EVENTS_ENV, LAZARET_DATA_DIR: dataDir, LAZARET_DATABASE_URL: url.toString(), LAZARET_EVENTS_POLL_INTERVAL_MS: '20' });
    cleanups.push(() => s.kill());
    servers.push(s);
  }
  await webhook(servers[0]!.url, 'nodehooka', `${receivers[0]!.url}/a`);
  await webhook(servers[1]!.url, 'nodehookb', `${receivers[1]!.url}/b`);

  // Both nodes take pushes at the same time.
  await Promise.all(
    servers.map(async (s, n) => {
      for (let i = 0; i < 6; i++) await pushImage(s.url, `multi/node${n}`, { seed: `multi${n}-${i}`, tag: `t${i}` });
    }),
  );
  const EVENTS = 2 * 6 * 2;
  const done = (rs: { json: any; answeredAt?: number }[]) => {
    const ids = new Set(rs.filter((x) => x.answeredAt !== undefined).map((x) => x.json.id));
    return ids.size === EVENTS && rs.filter((x) => x.json.target.tag === 't0').length === 2 * 2 * 2;
  };
  for (const r of receivers) await r.waitFor(done, 20_000, `${EVENTS} events, t0 ones twice`);
  await new Promise((res) => setTimeout(res, 500));

  for (const [i, r] of receivers.entries()) {
    const byId = new Map<string, typeof r.received>();
    for (const req of r.received) byId.set(req.json.id, [...(byId.get(req.json.id) ?? []), req]);
    assert.equal(byId.size, EVENTS);
    for (const [id, reqs] of byId) {
      const { action, target } = reqs[0]!.json;
      assert.equal(reqs.length, target.tag === 't0' ? 2 : 1, `webhook ${i}: event ${id} (${action} ${target.repository}:${target.tag}) arrived ${reqs.length} times`);
      if (reqs.length === 2) {
        const [x, y] = reqs as [typeof reqs[0] & {}, typeof reqs[0] & {}];
        assert.ok(y.arrivedAt >= x.answeredAt!, `webhook ${i}: event ${id} was sent again while its first attempt was still in flight`);
      }
    }
  }
  // Both nodes delivered (the claims are shared, not one node doing everything by luck is fine,
  // but the logs must agree across nodes).
  for (const [name, s] of [['nodehooka', servers[1]!], ['nodehookb', servers[0]!]] as const) {
    const hook = await call(s.url, 'GET', `/api/v1/webhooks/${name}`);
    assert.deepEqual(hook.body.properties.deliveries, { pending: 0, delivered: EVENTS, failed: 0 });
  }
  for (const s of servers) await s.stop();
});
