import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, retryAfterDelay } from './delivery-backoff.ts';

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

test('Retry-After stretches the wait up to the cap, never shortens it', () => {
  const o = { maxMs: 60_000, now: Date.parse('2026-01-01T00:00:00Z') };
  assert.equal(retryAfterDelay(1000, undefined, o), 1000);
  assert.equal(retryAfterDelay(1000, '30', o), 30_000);
  assert.equal(retryAfterDelay(1000, '0', o), 1000);
  assert.equal(retryAfterDelay(1000, '3600', o), 60_000);
  assert.equal(retryAfterDelay(1000, 'Thu, 01 Jan 2026 00:00:10 GMT', o), 10_000);
  assert.equal(retryAfterDelay(1000, 'soon', o), 1000);
});
