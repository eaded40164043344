import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAcrTimestamp } from './acr-timestamp.ts';

test('formats with exactly 7 fractional digits and Z', () => {
  assert.equal(formatAcrTimestamp(new Date('2018-02-28T00:42:54.450Z')), '2018-02-28T00:42:54.4500000Z');
  assert.equal(formatAcrTimestamp(Date.UTC(2018, 1, 28, 0, 42, 54, 450) + 0.9375), '2018-02-28T00:42:54.4509375Z');
  assert.match(formatAcrTimestamp(Date.now() + 0.99999), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
});
