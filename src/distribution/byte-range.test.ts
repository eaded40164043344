import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideRange, parseContentRange, uploadRangeHeader } from './byte-range.ts';

test('decideRange serves single byte ranges and clamps the end', () => {
  assert.deepEqual(decideRange(undefined, 10), { kind: 'whole' });
  assert.deepEqual(decideRange('bytes=0-3', 10), { kind: 'partial', start: 0, end: 3 });
  assert.deepEqual(decideRange('bytes=5-', 10), { kind: 'partial', start: 5, end: 9 });
  assert.deepEqual(decideRange('bytes=5-100', 10), { kind: 'partial', start: 5, end: 9 });
  assert.deepEqual(decideRange('bytes=-4', 10), { kind: 'partial', start: 6, end: 9 });
  assert.deepEqual(decideRange('bytes=-40', 10), { kind: 'partial', start: 0, end: 9 });
});

test('decideRange: unsatisfiable ranges are 416, malformed ones are ignored', () => {
  assert.deepEqual(decideRange('bytes=10-', 10), { kind: 'unsatisfiable' });
  assert.deepEqual(decideRange('bytes=20-30', 10), { kind: 'unsatisfiable' });
  assert.deepEqual(decideRange('bytes=-0', 10), { kind: 'unsatisfiable' });
  assert.deepEqual(decideRange('bytes=0-0', 0), { kind: 'unsatisfiable' });
  assert.deepEqual(decideRange('bytes=5-2', 10), { kind: 'whole' });
  assert.deepEqual(decideRange('bytes=0-1,3-4', 10), { kind: 'whole' });
  assert.deepEqual(decideRange('items=0-1', 10), { kind: 'whole' });
  assert.deepEqual(decideRange('garbage', 10), { kind: 'whole' });
});

test('parseContentRange accepts the OCI form and common variants, rejects the rest', () => {
  assert.deepEqual(parseContentRange('0-99'), { start: 0, end: 99 });
  assert.deepEqual(parseContentRange('bytes=100-199'), { start: 100, end: 199 });
  assert.deepEqual(parseContentRange('bytes 100-199/*'), { start: 100, end: 199 });
  assert.deepEqual(parseContentRange('100-199/1000'), { start: 100, end: 199 });
  assert.equal(parseContentRange('99-0'), undefined);
  assert.equal(parseContentRange('abc'), undefined);
  assert.equal(parseContentRange('-5'), undefined);
  assert.equal(parseContentRange('5-'), undefined);
});

test('uploadRangeHeader is inclusive and 0-0 when empty', () => {
  assert.equal(uploadRangeHeader(0), '0-0');
  assert.equal(uploadRangeHeader(1), '0-0');
  assert.equal(uploadRangeHeader(100), '0-99');
});
