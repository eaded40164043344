import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTokenCache } from './token-cache.ts';

test('an entry is never returned at or after the token exp, nor after 60 s', () => {
  let t = 1_000_000;
  const cache = createTokenCache<string>({ now: () => t });
  cache.set('a', 1, 'claims-a', (t + 10_000) / 1000); // exp 10 s ahead
  cache.set('b', 1, 'claims-b', (t + 3_600_000) / 1000); // exp an hour ahead
  assert.equal(cache.get('a', 1), 'claims-a');
  t += 9_999;
  assert.equal(cache.get('a', 1), 'claims-a');
  t += 1; // exactly exp
  assert.equal(cache.get('a', 1), undefined);
  assert.equal(cache.get('b', 1), 'claims-b');
  t += 50_001; // 60 s after b was added
  assert.equal(cache.get('b', 1), undefined);
  assert.equal(cache.size, 0);
});

test('a token already past its exp is not cached', () => {
  const t = 1_000_000;
  const cache = createTokenCache<string>({ now: () => t });
  cache.set('a', 1, 'x', t / 1000 - 5);
  assert.equal(cache.get('a', 1), undefined);
  assert.equal(cache.size, 0);
});

test('a change of the key ring version forgets every entry', () => {
  const cache = createTokenCache<string>();
  const exp = Date.now() / 1000 + 600;
  cache.set('a', 1, 'x', exp);
  cache.set('b', 1, 'y', exp);
  assert.equal(cache.get('a', 1), 'x');
  assert.equal(cache.get('b', 2), undefined);
  assert.equal(cache.get('a', 2), undefined);
  assert.equal(cache.size, 0);
  // And an entry set under an older version than the one last seen is dropped on the next get.
  cache.set('c', 1, 'z', exp);
  assert.equal(cache.get('c', 2), undefined);
});

test('bounded: the least recently used entry (to the second) is evicted', () => {
  let t = 1_000_000;
  const cache = createTokenCache<number>({ maxEntries: 3, now: () => t });
  const exp = (t + 600_000) / 1000;
  for (let i = 0; i < 3; i++) cache.set(`k${i}`, 1, i, exp);
  t += 1000;
  assert.equal(cache.get('k0', 1), 0); // k0 is now the most recent
  cache.set('k3', 1, 3, exp);
  assert.equal(cache.size, 3);
  assert.equal(cache.get('k1', 1), undefined);
  assert.equal(cache.get('k0', 1), 0);
  for (let i = 0; i < 1000; i++) cache.set(`x${i}`, 1, i, exp);
  assert.equal(cache.size, 3);
});

test('a hit within a second of the entry last moving does not reorder (the LRU is to the second)', () => {
  const t = 1_000_000;
  const cache = createTokenCache<number>({ maxEntries: 2, now: () => t });
  const exp = (t + 600_000) / 1000;
  cache.set('a', 1, 0, exp);
  cache.set('b', 1, 1, exp);
  assert.equal(cache.get('a', 1), 0);
  cache.set('c', 1, 2, exp);
  assert.equal(cache.get('a', 1), undefined, 'a was still the oldest');
  assert.equal(cache.get('b', 1), 1);
});

test('two tokens that end alike share a slot but never get the other token claims', () => {
  const cache = createTokenCache<string>();
  const exp = Date.now() / 1000 + 600;
  const tail = 'S'.repeat(40);
  const a = `header.payload-of-alice.${tail}`;
  const b = `header.payload-of-bob.${tail}`;
  cache.set(a, 1, 'claims-a', exp);
  assert.equal(cache.get(b, 1), undefined, 'another token with the same tail is a miss');
  assert.equal(cache.get(`${a}x`, 1), undefined, 'a longer token is a miss');
  assert.equal(cache.get(a.slice(1), 1), undefined, 'a shorter token is a miss');
  assert.equal(cache.get(a, 1), 'claims-a');
  // A fresh copy of the same bytes (as each request's header is) hits.
  assert.equal(cache.get(Buffer.from(a).toString('latin1'), 1), 'claims-a');
  cache.set(b, 1, 'claims-b', exp);
  assert.equal(cache.get(a, 1), undefined, 'b took the slot: a is verified again');
  assert.equal(cache.get(b, 1), 'claims-b');
  // Short tokens (under the tail length) are their own slot.
  cache.set('short', 1, 'claims-s', exp);
  assert.equal(cache.get('short', 1), 'claims-s');
  assert.equal(cache.get('hort', 1), undefined);
});
