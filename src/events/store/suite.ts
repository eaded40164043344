/**
 * Conformance section for the events role objects (contract: src/events/event-store.ts):
 * webhooks, the outbox (fan-out rows, claims, completion, the log, redelivery, pruning) and
 * held pushes. Cross-store claim races (two stores on one database) are in
 * test/events-store.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetadataSuiteContext } from '../../metadata/suite/context.ts';
import type { EventRoles } from './index.ts';
import type { AttemptRecord, WebhookInput } from '../event-store.ts';
import { pingEvent, pushEvent } from '../event-payloads.ts';

const request = { id: 'r1', host: 'reg.example', method: 'PUT', useragent: 'test', actor: 'alice' };
const attempt = (n: number, status?: number): AttemptRecord => ({
  attempt: n,
  startedAt: new Date(),
  durationMs: 3,
  requestUri: 'http://127.0.0.1:9/hook',
  requestHeaders: { 'Content-Type': 'application/json' },
  ...(status ? { responseStatus: status, responseReason: 'x', responseHeaders: { a: 'b' }, responseBody: 'body' } : { error: 'ECONNREFUSED' }),
});

export function eventsSection({ store, unique, repo }: MetadataSuiteContext<EventRoles>): void {
  const hook = (name: string, extra: Partial<WebhookInput> = {}): WebhookInput => ({
    name,
    serviceUri: 'http://127.0.0.1:9/hook',
    customHeaders: { Authorization: 'Bearer x' },
    status: 'enabled',
    scope: '',
    actions: ['push'],
    ...extra,
  });
  const event = (r: string, label: string) => pushEvent({ repository: r, digest: `sha256:${label}`, mediaType: 'm', size: 1 }, request);

  describe('webhooks, outbox, held pushes', () => {
    test('webhooks: put creates then replaces, update patches, secret null removes, delete', async () => {
      const name = unique('hook');
      const { created } = await store().webhooks.put(hook(name, { secret: 's3cret' }));
      assert.equal(created, true);
      const again = await store().webhooks.put(hook(name, { status: 'disabled' }));
      assert.equal(again.created, false);
      assert.equal(again.record.status, 'disabled');
      assert.equal(again.record.secret, undefined, 'a replace without a secret keeps none');
      assert.equal((await store().webhooks.update(name, { status: 'enabled', secret: 'k' }))?.secret, 'k');
      assert.equal((await store().webhooks.update(name, { secret: null }))?.secret, undefined);
      assert.equal(await store().webhooks.update(unique('missing'), { status: 'enabled' }), undefined);
      assert.deepEqual((await store().webhooks.get(name))?.customHeaders, { Authorization: 'Bearer x' });
      const other = unique('hook');
      await store().webhooks.put(hook(other, { actions: ['delete'] }));
      assert.deepEqual((await store().webhooks.list({ last: name, n: 1 })).map((w) => w.name), [other]);
      const pushSubscribers = (await store().webhooks.subscribers('push')).map((w) => w.name);
      assert.ok(pushSubscribers.includes(name) && !pushSubscribers.includes(other));
      assert.equal(await store().webhooks.delete(other), true);
      assert.equal(await store().webhooks.delete(other), false);
      await store().webhooks.delete(name);
    });

    test('outbox: append fans out, claim owns, complete logs, list pages newest first, redeliver and prune', async () => {
      const a = unique('hook');
      const b = unique('hook');
      await store().webhooks.put(hook(a));
      await store().webhooks.put(hook(b, { status: 'disabled' }));
      const r = repo();
      const e1 = event(r, 'e1');
      const e2 = event(r, 'e2');
      await store().transaction(async (tx) => {
        await tx.outbox.append(e1, [a, b], new Date(Date.now() - 2000));
        await tx.outbox.append(e2, [a], new Date(Date.now() - 1000));
        await tx.outbox.append(event(r, 'nobody'), []);
      });
      // The disabled webhook's delivery waits; the enabled one's two are claimed, oldest first.
      const claimed = await store().outbox.claim({ now: new Date(), leaseMs: 60_000, limit: 10 });
      assert.deepEqual(claimed.map((c) => `${c.webhook}:${c.eventId}`), [`${a}:${e1.id}`, `${a}:${e2.id}`]);
      assert.equal(claimed[0]!.attempts, 1);
      assert.equal(claimed[0]!.body, JSON.stringify(e1));
      assert.deepEqual(claimed[0]!.target, { serviceUri: 'http://127.0.0.1:9/hook', customHeaders: { Authorization: 'Bearer x' } });
      assert.deepEqual(await store().outbox.claim({ now: new Date(), leaseMs: 60_000, limit: 10 }), [], 'leases run');

      const retryAt = new Date(Date.now() + 60_000);
      assert.equal(await store().outbox.complete(claimed[0]!, attempt(1, 500), { state: 'pending', nextAttemptAt: retryAt }), true);
      assert.equal(await store().outbox.complete(claimed[0]!, attempt(1, 200), { state: 'delivered' }), false, 'the claim is spent');
      assert.equal(await store().outbox.complete(claimed[1]!, attempt(1, 204), { state: 'delivered' }), true);
      const d1 = await store().outbox.get(a, e1.id);
      assert.equal(d1?.state, 'pending');
      assert.equal(d1?.nextAttemptAt.getTime(), retryAt.getTime());
      assert.deepEqual(d1?.payload, e1);
      assert.deepEqual(d1?.log, [attempt(1, 500)].map((x) => ({ ...x, startedAt: d1!.log[0]!.startedAt })));
      assert.deepEqual(await store().webhooks.counts([a, b]), new Map([[a, { pending: 1, delivered: 1, failed: 0 }], [b, { pending: 1, delivered: 0, failed: 0 }]]));

      const page1 = await store().outbox.list(a, { n: 1 });
      assert.deepEqual(page1.items.map((d) => d.eventId), [e2.id]);
      const page2 = await store().outbox.list(a, { n: 1, last: page1.next });
      assert.deepEqual(page2.items.map((d) => d.eventId), [e1.id]);
      assert.equal(page2.next, undefined);
      assert.deepEqual((await store().outbox.list(a, { last: 'garbage' })).items, []);

      assert.equal(await store().outbox.redeliver(a, e1.id), true);
      assert.equal(await store().outbox.redeliver(a, 'nope'), false);
      const again = await store().outbox.claim({ now: new Date(), leaseMs: 60_000, limit: 10 });
      assert.deepEqual(again.map((c) => [c.eventId, c.attempts]), [[e1.id, 1]], 'fresh retry budget');
      assert.equal(await store().outbox.complete(again[0]!, attempt(1), { state: 'failed' }), true);
      assert.equal((await store().outbox.get(a, e1.id))?.log.length, 2, 'the log keeps every attempt');

      assert.equal(await store().outbox.prune(new Date(Date.now() + 1000)), 1, 'only delivered deliveries are pruned');
      assert.equal(await store().outbox.get(a, e2.id), undefined);
      assert.equal((await store().outbox.get(a, e1.id))?.state, 'failed');
      await store().webhooks.delete(a);
      assert.equal(await store().outbox.get(a, e1.id), undefined, 'deleting the webhook drops its deliveries');
      await store().webhooks.delete(b);
    });

    test('outbox: pings are claimed even for disabled webhooks; nextDue is the earliest retry', async () => {
      const name = unique('hook');
      await store().webhooks.put(hook(name, { status: 'disabled' }));
      const ping = pingEvent();
      await store().outbox.append(ping, [name]);
      const [claim] = await store().outbox.claim({ now: new Date(), leaseMs: 60_000, limit: 10 });
      assert.equal(claim?.eventId, ping.id);
      const at = new Date(Date.now() + 5000);
      await store().outbox.complete(claim!, attempt(1), { state: 'pending', nextAttemptAt: at });
      assert.ok((await store().outbox.nextDue())!.getTime() <= at.getTime());
      await store().webhooks.delete(name);
    });

    test('held pushes: remember is idempotent per tag; take returns and forgets; forget by repository', async () => {
      const r = repo();
      const base = { repository: r, digest: 'sha256:h', mediaType: 'm', size: 5, request, pushedAt: new Date() };
      await store().heldPushes.remember({ ...base, tag: 'v1' });
      await store().heldPushes.remember({ ...base, tag: 'v1', request: { ...request, id: 'r2' } });
      await store().heldPushes.remember(base);
      await store().heldPushes.remember({ ...base, digest: 'sha256:other', tag: 'v2' });
      const taken = await store().heldPushes.take(r, 'sha256:h');
      assert.deepEqual(taken.map((t) => t.tag ?? '@').sort(), ['@', 'v1']);
      assert.equal(taken.find((t) => t.tag === 'v1')!.request.id, 'r2', 'the latest push wins');
      assert.deepEqual(await store().heldPushes.take(r, 'sha256:h'), []);
      await store().heldPushes.forget(r);
      assert.deepEqual(await store().heldPushes.take(r, 'sha256:other'), []);
    });

    test('held pushes: takeMany returns and forgets those of several manifests, in push order per manifest', async () => {
      const r = repo();
      const base = { repository: r, mediaType: 'm', size: 5, request, pushedAt: new Date(1000) };
      await store().heldPushes.remember({ ...base, digest: 'sha256:t1', tag: 'b', pushedAt: new Date(2000) });
      await store().heldPushes.remember({ ...base, digest: 'sha256:t1', tag: 'a' });
      await store().heldPushes.remember({ ...base, digest: 'sha256:t2' });
      await store().heldPushes.remember({ ...base, digest: 'sha256:t3', tag: 'kept' });
      const taken = await store().heldPushes.takeMany(r, ['sha256:t1', 'sha256:t2', 'sha256:none']);
      assert.deepEqual([...taken.keys()].sort(), ['sha256:t1', 'sha256:t2']);
      assert.deepEqual(taken.get('sha256:t1')!.map((t) => t.tag), ['a', 'b']);
      assert.equal(taken.get('sha256:t2')![0]!.tag, undefined);
      assert.equal((await store().heldPushes.takeMany(r, ['sha256:t1', 'sha256:t2'])).size, 0, 'taken means forgotten');
      assert.deepEqual((await store().heldPushes.take(r, 'sha256:t3')).map((t) => t.tag), ['kept'], 'another manifest keeps its own');
    });
  });
}
