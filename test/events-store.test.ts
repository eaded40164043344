/**
 * Claiming across stores on both real databases: two stores (as two registry processes) on one
 * database never get the same delivery, leases expire and are taken over, a lost claim cannot
 * complete, and the per-webhook cap leaves room for other webhooks. The single-store behaviour
 * of the events role objects is in the MetadataStore suite (src/events/store/suite.ts).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MetadataStore } from '../src/persistence/index.ts';
import { openPostgresStore, openSqliteStore } from '../src/persistence/index.ts';
import { pushEvent } from '../src/events/event-payloads.ts';
import type { AttemptRecord } from '../src/events/event-store.ts';
import { TEST_DATABASE_URL, skipUnless, postgresReachable, dropTestSchema } from './helpers/environment.ts';

const request = { id: 'r1', host: 'reg.example', method: 'PUT', useragent: 'test', actor: 'alice' };
const hook = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  serviceUri: 'http://127.0.0.1:9/hook',
  customHeaders: { Authorization: 'Bearer x' },
  status: 'enabled' as const,
  scope: '',
  actions: ['push' as const],
  ...extra,
});
const attempt = (n: number, status?: number): AttemptRecord => ({
  attempt: n,
  startedAt: new Date(),
  durationMs: 3,
  requestUri: 'http://127.0.0.1:9/hook',
  requestHeaders: { 'Content-Type': 'application/json' },
  ...(status ? { responseStatus: status, responseReason: 'x', responseHeaders: {}, responseBody: '' } : { error: 'ECONNREFUSED' }),
});


function suite(name: string, open: () => Promise<{ a: MetadataStore; b: MetadataStore; cleanup(): Promise<void> }>, skip: () => string | false) {
  describe(`events store: ${name}`, { skip: skip() }, () => {
    let a: MetadataStore;
    let b: MetadataStore;
    let cleanup: () => Promise<void>;
    before(async () => ({ a, b, cleanup } = await open()));
    after(async () => cleanup?.());

    test('claims are exclusive across stores; leases expire; lost claims log nothing', async () => {
      await a.webhooks.put(hook('claims1'));
      const events = Array.from({ length: 40 }, (_, i) => pushEvent({ repository: 'r', digest: `sha256:${i}`, mediaType: 'm', size: 1 }, request));
      await a.transaction(async (tx) => {
        for (const e of events) await tx.outbox.append(e, ['claims1']);
      });
      const now = new Date();
      // Eight claimers on two stores race until nothing is left.
      const rounds = await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const mine = [];
          for (;;) {
            const got = await (i % 2 ? a : b).outbox.claim({ now, leaseMs: 60_000, limit: 3 });
            if (got.length === 0) return mine;
            mine.push(...got);
          }
        }),
      );
      const ids = rounds.flat().map((c) => c.eventId);
      assert.equal(new Set(ids).size, ids.length, 'no delivery claimed twice');
      assert.equal(ids.length, 40);
      assert.deepEqual(await a.outbox.claim({ now, leaseMs: 60_000, limit: 10 }), [], 'nothing left while leases run');
      const first = rounds.flat()[0]!;
      assert.equal(first.attempts, 1);
      assert.equal(first.body, JSON.stringify(events.find((e) => e.id === first.eventId)));
      assert.deepEqual(first.target.customHeaders, { Authorization: 'Bearer x' });

      // After the lease, another dispatcher takes it; the first one's completion is refused.
      const later = new Date(now.getTime() + 61_000);
      const reclaimed = await b.outbox.claim({ now: later, leaseMs: 60_000, limit: 100 });
      assert.equal(reclaimed.length, 40);
      assert.equal(await a.outbox.complete(first, attempt(1, 200), { state: 'delivered' }), false);
      const mine = reclaimed.find((c) => c.eventId === first.eventId)!;
      assert.equal(mine.attempts, 2);
      assert.equal(await b.outbox.complete(mine, attempt(2, 500), { state: 'pending', nextAttemptAt: new Date(later.getTime() + 1000) }), true);
      const d = await a.outbox.get('claims1', first.eventId);
      assert.equal(d?.state, 'pending');
      assert.equal(d?.log.length, 1);
      assert.equal(d?.log[0]?.responseStatus, 500);
      assert.equal((await a.outbox.nextDue())?.getTime(), later.getTime() + 1000, 'the retry is the earliest due time');
      const counts = (await a.webhooks.counts(['claims1'])).get('claims1');
      assert.deepEqual(counts, { pending: 40, delivered: 0, failed: 0 });
      await a.webhooks.delete('claims1');
      assert.equal(await a.outbox.get('claims1', first.eventId), undefined);
    });

    test('the per-webhook cap leaves room for other webhooks', async () => {
      await a.webhooks.put(hook('capped1'));
      await a.webhooks.put(hook('capped2'));
      const old = new Date(Date.now() - 5000);
      for (let i = 0; i < 5; i++) await a.outbox.append(pushEvent({ repository: 'r', digest: `sha256:c${i}`, mediaType: 'm', size: 1 }, request), ['capped1'], old);
      await a.outbox.append(pushEvent({ repository: 'r', digest: 'sha256:d', mediaType: 'm', size: 1 }, request), ['capped2']);
      const got = await a.outbox.claim({ now: new Date(), leaseMs: 1000, limit: 4, perWebhook: 2, busy: new Map([['capped1', 1]]) });
      assert.deepEqual(got.map((c) => c.webhook).sort(), ['capped1', 'capped2']);
      await a.webhooks.delete('capped1');
      await a.webhooks.delete('capped2');
    });

  });
}

const dirs: string[] = [];
suite(
  'sqlite',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lazaret-events-'));
    dirs.push(dir);
    const a = await openSqliteStore(join(dir, 'db.sqlite'));
    const b = await openSqliteStore(join(dir, 'db.sqlite'));
    return { a, b, cleanup: async () => { await a.close(); await b.close(); rmSync(dir, { recursive: true, force: true }); } };
  },
  () => false,
);

const pgUp = await postgresReachable();
suite(
  'postgres',
  async () => {
    const schema = `events_store_${process.pid}_${Date.now()}`;
    const a = await openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
    const b = await openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
    return {
      a,
      b,
      async cleanup() {
        await a.close();
        await b.close();
        await dropTestSchema(schema);
      },
    };
  },
  () => skipUnless(pgUp, 'PostgreSQL is not reachable at LAZARET_TEST_DATABASE_URL'),
);
