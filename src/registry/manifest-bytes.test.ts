import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { digestOf } from '../oci/digest.ts';
import { createManifestBytesCache } from './manifest-bytes.ts';

const manifest = (i: number, size = 100) => Buffer.from(JSON.stringify({ i }).padEnd(size, ' '));
const streamOf = (b: Buffer) => Readable.from([b.subarray(0, 10), b.subarray(10)]);

test('fills from the stream, verifies, and serves later reads from memory', async () => {
  const cache = createManifestBytesCache();
  const b = manifest(1);
  const d = digestOf(b);
  assert.equal(cache.get(d), undefined);
  assert.deepEqual(await cache.fill(d, b.length, streamOf(b)), b);
  assert.deepEqual(cache.get(d), b);
  assert.equal(cache.bytes, b.length);
});

test('bytes that do not match the digest or the size are never cached', async () => {
  const cache = createManifestBytesCache();
  const b = manifest(2);
  const d = digestOf(b);
  const other = manifest(3);
  assert.equal(await cache.fill(d, other.length, streamOf(other)), undefined, 'wrong content');
  assert.equal(await cache.fill(d, b.length + 1, streamOf(b)), undefined, 'shorter than recorded');
  assert.equal(await cache.fill(d, b.length - 1, streamOf(b)), undefined, 'longer than recorded');
  assert.equal(cache.get(d), undefined);
  assert.equal(cache.bytes, 0);
});

test('bounded: big manifests are not cached, and the total stays under maxBytes (LRU)', async () => {
  const cache = createManifestBytesCache({ maxBytes: 1000, maxEntryBytes: 400 });
  assert.equal(cache.accepts(401), false);
  assert.equal(cache.accepts(400), true);
  const big = manifest(9, 401);
  assert.equal(await cache.fill(digestOf(big), big.length, streamOf(big)), undefined);
  const parts = [0, 1, 2, 3].map((i) => manifest(i, 300));
  for (const p of parts.slice(0, 3)) await cache.fill(digestOf(p), p.length, streamOf(p));
  assert.ok(cache.get(digestOf(parts[0]!))); // 0 becomes the most recently used
  await cache.fill(digestOf(parts[3]!), 300, streamOf(parts[3]!));
  assert.equal(cache.bytes, 900);
  assert.equal(cache.get(digestOf(parts[1]!)), undefined, 'least recently used evicted');
  assert.ok(cache.get(digestOf(parts[0]!)));
});
