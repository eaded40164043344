import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from './delivery-backoff.ts';

test('backoff doubles, is jittered by +-50% and capped', () => {
  const o = { baseMs: 100, maxMs: 1000 };
  assert.equal(backoffDelay(1, { ...o, random: () => 0.5 }), 100);
  assert.equal(backoffDelay(2, { ...o, random: () => 0.5 }), 200);
  assert.equal(backoffDelay(3, { ...o, random: () => 0 }), 200);
  assert.equal(backoffDelay(3, { ...o, random: () => 0.999 }), 600);
  assert.equal(backoffDelay(10, { ...o, random: () => 0.999 }), 1000);
  assert.equal(backoffDelay(1000, { ...o, random: () => 0.5 }), 1000);
  for (let i = 0; i < 100; i++) {
    const d = backoffDelay(4, o);
    assert.ok(d >= 400 && d <= 1000, String(d));
  }
});
