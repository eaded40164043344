import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectionPacer, youngCollector } from './young-collections.ts';

test('a collection after every N bytes received, counted across calls', () => {
  let collections = 0;
  let obtained = 0;
  const received = collectionPacer(4 * 1024 * 1024, () => {
    obtained++;
    return () => collections++;
  });
  for (let i = 0; i < 160; i++) received(64 * 1024); // 10 MiB in socket-sized chunks
  assert.equal(collections, 2);
  assert.equal(obtained, 1, 'the collector is obtained once');
  received(8 * 1024 * 1024);
  assert.equal(collections, 3, 'one large chunk is one collection');
});

test('without a collector, or with one that throws, bytes are still counted and nothing fails', () => {
  const none = collectionPacer(10, () => undefined);
  for (let i = 0; i < 100; i++) none(7);
  let calls = 0;
  const failing = collectionPacer(10, () => () => {
    calls++;
    throw new Error('unsupported option');
  });
  for (let i = 0; i < 100; i++) failing(7);
  assert.equal(calls, 1, 'a collector that threw is not called again');
});

test('the V8 collector is available in this Node, without putting gc on the global scope', () => {
  const collect = youngCollector();
  assert.equal(typeof collect, 'function');
  collect!();
  assert.equal((globalThis as { gc?: unknown }).gc, undefined);
});
