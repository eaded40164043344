import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createVerifiedBlobMemory } from './verified-memory.ts';
import type { Digest } from '../oci/index.ts';

const d = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}` as Digest;

test('a remembered version matches only with the same size and version; a newer one replaces it; forget drops it', () => {
  const m = createVerifiedBlobMemory();
  assert.equal(m.has(d(1), 10, '"etag-a" 1000'), false);
  m.remember(d(1), 10, '"etag-a" 1000');
  assert.equal(m.has(d(1), 10, '"etag-a" 1000'), true);
  assert.equal(m.has(d(1), 10, '"etag-b" 1000'), false, 'another ETag');
  assert.equal(m.has(d(1), 10, '"etag-a" 2000'), false, 'another Last-Modified');
  assert.equal(m.has(d(1), 11, '"etag-a" 1000'), false, 'another size');
  m.remember(d(1), 10, '"etag-b" 2000');
  assert.equal(m.has(d(1), 10, '"etag-a" 1000'), false, 'one entry per digest');
  assert.equal(m.entries, 1);
  m.forget(d(1));
  assert.equal(m.has(d(1), 10, '"etag-b" 2000'), false);
  assert.deepEqual([m.entries, m.bytes], [0, 0]);
});

test('bounded in bytes: the least recently used go first', () => {
  const m = createVerifiedBlobMemory(2000);
  for (let i = 0; i < 100; i++) m.remember(d(i), 1, `"${i}" 0`);
  assert.ok(m.bytes <= 2000, `${m.bytes} bytes`);
  assert.ok(m.entries > 5 && m.entries < 20, `${m.entries} entries`);
  const kept = Array.from({ length: 100 }, (_, i) => i).filter((i) => m.has(d(i), 1, `"${i}" 0`));
  assert.deepEqual(kept, Array.from({ length: kept.length }, (_, i) => 100 - kept.length + i), 'the newest are kept');
  // A hit makes an entry recent again: the oldest kept survives the next insertion.
  const oldest = kept[0]!;
  assert.ok(m.has(d(oldest), 1, `"${oldest}" 0`));
  m.remember(d(1000), 1, '"x" 0');
  assert.ok(m.has(d(oldest), 1, `"${oldest}" 0`));
  assert.equal(m.has(d(kept[1]!), 1, `"${kept[1]}" 0`), false);
});
