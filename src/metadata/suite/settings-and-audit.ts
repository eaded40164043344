import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { tick, type MetadataSuiteContext } from './context.ts';

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

    test('the newest entries of the whole log come first', async () => {
      const e = await store().audit.append({ actor: unique('actor'), action: 'x.y', target: unique('t') });
      const [newest] = await store().audit.list({ n: 1 });
      assert.deepEqual(newest, e);
    });
  });
}
