import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SettingsStore } from '../metadata/metadata-store.ts';
import { bumpPolicyGeneration, changePolicy, createPolicyCache, POLICY_KEY, readPolicy } from './policy.ts';

function settings() {
  const values = new Map<string, unknown>();
  let reads = 0;
  const store: SettingsStore = {
    get: async <T>(key: string) => (reads++, values.get(key) as T | undefined),
    set: async (key, value) => void values.set(key, value),
  };
  return { store, values, reads: () => reads };
}

test('absent or unknown values read as disabled', async () => {
  const s = settings();
  assert.deepEqual(await readPolicy(s.store), { status: 'disabled' });
  s.values.set(POLICY_KEY, { status: 'ENABLED' });
  assert.deepEqual(await readPolicy(s.store), { status: 'disabled' });
  s.values.set(POLICY_KEY, { status: 'enabled' });
  assert.deepEqual(await readPolicy(s.store), { status: 'enabled' });
});

test('the cache reads once per ttl, sees another process after the ttl, and a local change at once', async () => {
  const s = settings();
  let clock = 0;
  const cache = createPolicyCache({ settings: s.store, ttlMs: 1000, now: () => clock });
  assert.equal(await cache.enabled(), false);
  for (let i = 0; i < 100; i++) assert.equal(await cache.enabled(), false);
  assert.equal(s.reads(), 1, 'one read for 101 requests');
  // Another process enables it: visible once the copy is older than the ttl.
  s.values.set(POLICY_KEY, { status: 'enabled' });
  clock = 999;
  assert.equal(await cache.enabled(), false);
  clock = 1000;
  assert.equal(await cache.enabled(), true);
  // A local change invalidates: the very next call sees it.
  s.values.set(POLICY_KEY, { status: 'disabled' });
  cache.invalidate();
  assert.equal(await cache.enabled(), false);
});

test('concurrent callers share one read; an invalidation during a read is not overwritten by the stale value', async () => {
  const s = settings();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const slow: SettingsStore = { ...s.store, get: async <T>(k: string) => { await gate; return s.store.get<T>(k); } };
  const cache = createPolicyCache({ settings: slow, ttlMs: 60_000 });
  const a = cache.enabled();
  const b = cache.enabled();
  cache.invalidate();
  s.values.set(POLICY_KEY, { status: 'enabled' });
  release();
  await Promise.all([a, b]);
  assert.equal(s.reads(), 1);
  assert.equal(await cache.enabled(), true, 'the read that raced the invalidation was not cached');
});

test('crossProcess: a change another process committed is in force at the next decision, not after the ttl', async () => {
  const s = settings();
  const clock = 0;
  const other = createPolicyCache({ settings: s.store, ttlMs: 60_000, now: () => clock, crossProcess: true });
  const plain = createPolicyCache({ settings: s.store, ttlMs: 60_000, now: () => clock });
  assert.equal(await other.enabled(), false);
  assert.equal(await plain.enabled(), false);
  // Another node enables the switch (as the policies route does: the change and a new generation in one transaction).
  const audit = { append: async () => undefined } as never;
  await changePolicy({ settings: s.store, audit }, 'enabled', { actor: 'admin' });
  assert.equal(await other.enabled(), true, 'read the moved generation and reloaded, without any notification');
  assert.equal(await other.gates('any/repo'), true);
  assert.equal(await plain.enabled(), false, 'without crossProcess only the ttl or an invalidation refreshes (one process: changes invalidate locally)');
  // While the switch is on nothing is re-read: a stale "on" holds more, never less.
  const before = s.reads();
  for (let i = 0; i < 10; i++) await other.gates('any/repo');
  assert.equal(s.reads(), before);
  // Switched off again elsewhere: the cached "on" keeps holding until the ttl or a notification (the safe side).
  s.values.set(POLICY_KEY, { status: 'disabled' });
  await bumpPolicyGeneration(s.store);
  assert.equal(await other.enabled(), true);
  other.invalidate();
  assert.equal(await other.enabled(), false);
  // Off: each decision reads the generation (one read), and an unchanged one keeps the copy.
  const r0 = s.reads();
  assert.equal(await other.gates('any/repo'), false);
  assert.equal(s.reads(), r0 + 1);
});

test('gating() answers as gates() from one copy of the policy; a later call sees a change', async () => {
  const s = settings();
  const cache = createPolicyCache({ settings: s.store, ttlMs: 60_000 });
  const off = await cache.gating();
  assert.equal(off('a/b'), false);
  assert.equal(await cache.gates('a/b'), false);
  s.values.set(POLICY_KEY, { status: 'enabled' });
  cache.invalidate();
  const on = await cache.gating();
  assert.equal(on('a/b'), true);
  assert.equal(on('c'), await cache.gates('c'));
  assert.equal(off('a/b'), false, 'a predicate keeps the copy it was made from');
});
