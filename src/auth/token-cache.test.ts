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

test('bounded: the least recently used entry is evicted', () => {
  const cache = createTokenCache<number>({ maxEntries: 3 });
  const exp = Date.now() / 1000 + 600;
  for (let i = 0; i < 3; i++) cache.set(`k${i}`, 1, i, exp);
  assert.equal(cache.get('k0', 1), 0); // k0 is now the most recent
  cache.set('k3', 1, 3, exp);
  assert.equal(cache.size, 3);
  assert.equal(cache.get('k1', 1), undefined);
  assert.equal(cache.get('k0', 1), 0);
  for (let i = 0; i < 1000; i++) cache.set(`x${i}`, 1, i, exp);
  assert.equal(cache.size, 3);
});
