import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { tick, type MetadataSuiteContext } from './context.ts';
import type { CoreRoles, TransactionalStore } from '../metadata-store.ts';
import { entryHash, verifyChain, type ChainedRow } from '../audit-chain.ts';

/** Every chained entry of the store, in seq order (page by page, as `audit verify` reads them). */
async function* wholeChain(store: TransactionalStore<CoreRoles>): AsyncGenerator<ChainedRow> {
  let afterSeq = 0;
  for (;;) {
    const page = await store.audit.chain({ afterSeq, n: 1000 });
    yield* page;
    if (page.length < 1000) return;
    afterSeq = page.at(-1)!.seq;
  }
}

export function settingsSection({ store, unique }: MetadataSuiteContext): void {
  describe('settings', () => {
    test('JSON values round-trip; unknown keys read as undefined; set overwrites', async () => {
      const values: unknown[] = [
        { quarantine: { enabled: true, allowlist: ['a/*', 'b'] }, n: 1.5, nested: { deep: [null, false, 'ü'] } },
        ['x', 2, true],
        'plain string',
        0,
        false,
        null,
      ];
      for (const v of values) {
        const key = unique('setting');
        assert.equal(await store().settings.get(key), undefined);
        await store().settings.set(key, v);
        assert.deepEqual(await store().settings.get(key), v);
      }
      const key = unique('overwrite');
      await store().settings.set(key, { version: 1 });
      await store().settings.set(key, { version: 2 });
      assert.deepEqual(await store().settings.get(key), { version: 2 });
    });
  });
}

export function auditSection({ store, unique }: MetadataSuiteContext): void {
  describe('audit', () => {
    test('append returns the entry; list is newest first, also within one millisecond', async () => {
      const actor = unique('actor');
      const appended = [];
      for (let i = 0; i < 5; i++) {
        appended.push(await store().audit.append({ actor, action: 'user.create', target: `user:${i}`, requestId: `req-${i}` }));
      }
      const listed = await store().audit.list({ actor });
      assert.deepEqual(listed, [...appended].reverse());
      assert.equal(new Set(appended.map((e) => e.id)).size, 5);
      assert.equal(listed[0]!.requestId, 'req-4');
    });

    test('before/after/details JSON and an explicit time round-trip', async () => {
      const actor = unique('actor');
      const at = new Date('2026-03-04T05:06:07.089Z');
      const entry = await store().audit.append({
        actor,
        action: 'policy.change',
        target: 'policy:quarantine',
        at,
        before: { enabled: false },
        after: { enabled: true, list: [1, 'two'] },
        details: { reason: 'ticket 42' },
      });
      assert.equal(entry.at.getTime(), at.getTime());
      const [back] = await store().audit.list({ actor });
      assert.deepEqual(back, entry);
      assert.deepEqual(back!.after, { enabled: true, list: [1, 'two'] });
      assert.equal(back!.requestId, undefined);
    });

    test('filters: action, actor, exact target prefix; paging with last', async () => {
      const actor = unique('actor');
      const other = unique('actor');
      const base = unique('repo');
      const add = async (who: string, action: string, target: string) => {
        const e = await store().audit.append({ actor: who, action, target });
        await tick();
        return e;
      };
      const e1 = await add(actor, 'verdict.change', `${base}@sha256:abc1`);
      const e2 = await add(actor, 'verdict.change', `${base}@sha256:abd2`);
      const e3 = await add(other, 'verdict.change', `${base}@sha256:abc3`);
      const e4 = await add(actor, 'user.delete', `${base}_x`);
      const e5 = await add(actor, 'verdict.change', `${base.toUpperCase()}@sha256:abc5`);

      assert.deepEqual(await store().audit.list({ actor }), [e5, e4, e2, e1]);
      assert.deepEqual(await store().audit.list({ actor, action: 'verdict.change' }), [e5, e2, e1]);
      assert.deepEqual(await store().audit.list({ targetPrefix: `${base}@sha256:abc` }), [e3, e1]);
      // An exact target is that target only (one image's history), not the ones it prefixes.
      assert.deepEqual(await store().audit.list({ target: `${base}@sha256:abc1` }), [e1]);
      assert.deepEqual(await store().audit.list({ target: `${base}@sha256:abc` }), []);
      // Prefix match is exact: `_` and `%` are not wildcards, case matters.
      assert.deepEqual(await store().audit.list({ targetPrefix: `${base}_` }), [e4]);
      assert.deepEqual(await store().audit.list({ targetPrefix: `${base}%` }), []);
      assert.deepEqual(await store().audit.list({ targetPrefix: base.toUpperCase() }), [e5]);
      assert.deepEqual(await store().audit.list({ actor, targetPrefix: base, action: 'verdict.change' }), [e2, e1]);

      const p1 = await store().audit.list({ actor, n: 2 });
      assert.deepEqual(p1, [e5, e4]);
      const p2 = await store().audit.list({ actor, n: 2, last: p1[1]!.id });
      assert.deepEqual(p2, [e2, e1]);
      assert.deepEqual(await store().audit.list({ actor, last: e1.id }), []);
      assert.deepEqual(await store().audit.list({ actor, n: 0 }), []);
    });

    test('each entry links to the one before: seq, prevHash and hash as the chain defines them', async () => {
      const actor = unique('actor');
      const a = await store().audit.append({ actor, action: 'x.y', target: 't', before: null, after: { n: 1 }, details: 'why' });
      const b = await store().audit.append({ actor, action: 'x.y', target: 't' });
      assert.equal(b.seq, a.seq + 1);
      assert.equal(b.prevHash, a.hash);
      const [row] = await store().audit.chain({ afterSeq: a.seq - 1, n: 1 });
      assert.deepEqual(row, { seq: a.seq, id: a.id, at: a.at.getTime(), actor, action: 'x.y', target: 't', beforeJson: 'null', afterJson: '{"n":1}', detailsJson: '"why"', requestId: null, prevHash: a.prevHash, hash: a.hash });
      assert.equal(entryHash(row!), a.hash);
      assert.equal(await store().audit.firstUnchained(), undefined);
      const since = await store().audit.firstSeqSince(a.at);
      assert.ok(since !== undefined && since <= a.seq, 'the first entry at or after a.at is a or one of its millisecond');
      assert.equal(await store().audit.firstSeqSince(new Date(Date.now() + 60_000)), undefined);
    });

    test('appendMany chains its entries in order after the head, alone and beside concurrent appends', async () => {
      const actor = unique('actor');
      const before = await store().audit.append({ actor, action: 'x.before', target: 't' });
      const [many] = await Promise.all([
        store().audit.appendMany([1, 2, 3].map((n) => ({ actor, action: 'x.many', target: `t${n}`, after: { n } }))),
        store().audit.append({ actor, action: 'x.beside', target: 't' }),
      ]);
      assert.deepEqual(many.map((e) => e.target), ['t1', 't2', 't3']);
      assert.equal(many[1]!.seq, many[0]!.seq + 1);
      assert.equal(many[1]!.prevHash, many[0]!.hash);
      assert.equal(many[2]!.prevHash, many[1]!.hash);
      assert.ok(many[0]!.seq > before.seq);
      const report = await verifyChain(wholeChain(store()));
      assert.equal(report.ok, true, report.broken?.message);
      assert.deepEqual(await store().audit.appendMany([]), []);
    });

    test('concurrent appends, alone and inside transactions, never fork the chain', async () => {
      const actor = unique('actor');
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          i % 2 === 0
            ? store().audit.append({ actor, action: 'x.concurrent', target: `t${i}` })
            : store().transaction(async (tx) => {
                await tx.settings.set(`${actor}-${i}`, i);
                await tx.audit.append({ actor, action: 'x.concurrent', target: `t${i}` });
              }),
        ),
      );
      const report = await verifyChain(wholeChain(store()));
      assert.equal(report.ok, true, report.broken?.message);
      assert.equal((await store().audit.list({ actor })).length, 40);
    });

    test('an append in a transaction that rolls back leaves no link behind', async () => {
      const actor = unique('actor');
      await assert.rejects(
        store().transaction(async (tx) => {
          await tx.audit.append({ actor, action: 'x.rollback', target: 't' });
          throw new Error('roll back');
        }),
        /roll back/,
      );
      const after = await store().audit.append({ actor, action: 'x.after', target: 't' });
      const report = await verifyChain(wholeChain(store()));
      assert.equal(report.ok, true, report.broken?.message);
      assert.equal(report.head?.id, after.id);
    });

    test('the newest entries of the whole log come first', async () => {
      const e = await store().audit.append({ actor: unique('actor'), action: 'x.y', target: unique('t') });
      const [newest] = await store().audit.list({ n: 1 });
      assert.deepEqual(newest, e);
    });
  });
}
