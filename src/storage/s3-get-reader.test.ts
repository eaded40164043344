/**
 * The GetObject reader (s3/get-object-handler.ts) against a real S3 server (s3rver, or the one
 * `.ci/run` started): every byte of whole and ranged reads is right, across the sizes where
 * the reader changes strategy (one exact buffer up to 1 MiB, pooled 256 KiB buffers above, the
 * head's read carrying the first body bytes), connections are reused, and buffers given back to
 * the pool while other reads are in flight never change what any read yields.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createTestBucket, type TestBucket } from '../../test/helpers/s3-server.ts';
import type { Digest } from '../oci/index.ts';
import { readBuffers } from './read-buffers.ts';
import { createS3BlobStore } from './s3/s3-blob-store.ts';
import type { GetObjectHandler } from './s3/get-object-handler.ts';
import { createMemoryUploadStates } from './upload-states.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const SIZES = [0, 1, 1000, 32 * KiB + 5, MiB, MiB + 1, 4 * 256 * KiB, 4 * 256 * KiB + 7, 5 * MiB + 123];

async function drain(stream: Readable, giveBack = false): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    // A copy when the buffer goes back: the pool may hand it to another read at once.
    parts.push(giveBack ? Buffer.from(chunk) : chunk);
    if (giveBack) readBuffers.giveBack(chunk);
  }
  return Buffer.concat(parts);
}

describe('S3 GetObject reader against a real S3 server', () => {
  let bucket: TestBucket;
  const objects = new Map<number, Buffer>();
  let handler: GetObjectHandler;
  const get = async (key: string, range?: string) => {
    const out = await bucket.client.send(new GetObjectCommand({ Bucket: bucket.settings.bucket, Key: key, ...(range ? { Range: range } : {}) }));
    return { out, bytes: await drain(out.Body as Readable) };
  };

  before(async () => {
    bucket = await createTestBucket();
    handler = bucket.client.config.requestHandler as unknown as GetObjectHandler;
    for (const size of SIZES) {
      const data = randomBytes(size);
      objects.set(size, data);
      await bucket.client.send(new PutObjectCommand({ Bucket: bucket.settings.bucket, Key: `o-${size}`, Body: data, ContentLength: size }));
    }
  });
  after(async () => {
    await bucket.destroy();
    bucket.client.destroy();
  });

  test('whole objects of every size are read byte for byte, on our connections, reused', async () => {
    const before = { ...handler.stats };
    for (const size of SIZES) {
      for (const range of [undefined, 'bytes=0-']) {
        if (size === 0 && range) continue; // an empty object has no byte 0
        const { out, bytes } = await get(`o-${size}`, range);
        assert.equal(out.ContentLength, size);
        assert.ok(bytes.equals(objects.get(size)!), `object of ${size} bytes, range ${range}`);
      }
    }
    const requests = SIZES.length * 2 - 1;
    assert.equal(handler.stats.direct - before.direct, requests);
    assert.equal(handler.stats.fallbacks, before.fallbacks);
    assert.ok(handler.stats.connections - before.connections <= 2, `one keep-alive connection serves them in turn (${handler.stats.connections - before.connections} opened)`);
  });

  test('ranges: first byte, last byte, across 256 KiB buffer edges, inside the head read', async () => {
    const size = 5 * MiB + 123;
    const data = objects.get(size)!;
    const spans: [number, number][] = [
      [0, 0],
      [size - 1, size - 1],
      [10, 99],
      [256 * KiB - 3, 256 * KiB + 2],
      [MiB - 1, MiB],
      [100, 3 * MiB + 17],
      [0, size - 1],
    ];
    for (const [start, end] of spans) {
      const { out, bytes } = await get(`o-${size}`, `bytes=${start}-${end}`);
      // s3rver widens some ranges (bytes=0-0 to the whole object): compare against what it says it sent.
      const sent = /^bytes (\d+)-(\d+)\//.exec(out.ContentRange ?? '');
      const [s, e] = sent ? [Number(sent[1]), Number(sent[2])] : [0, size - 1];
      assert.equal(bytes.length, e - s + 1);
      assert.ok(bytes.equals(data.subarray(s, e + 1)), `range ${start}-${end}`);
    }
  });

  test('a missing key is NoSuchKey, and the connection serves the next GET', async () => {
    const opened = handler.stats.connections;
    await assert.rejects(get('missing'), (err: Error) => err.name === 'NoSuchKey');
    assert.ok((await get('o-1000')).bytes.equals(objects.get(1000)!));
    assert.ok(handler.stats.connections - opened <= 1);
  });

  test('16 concurrent reads giving their buffers back to the pool as they go: every digest right', async () => {
    const keys = [MiB + 1, 4 * 256 * KiB + 7, 5 * MiB + 123];
    const want = new Map(keys.map((k) => [k, createHash('sha256').update(objects.get(k)!).digest('hex')]));
    const reusedBefore = readBuffers.stats.reused;
    await Promise.all(
      Array.from({ length: 16 }, async (_, i) => {
        const size = keys[i % keys.length]!;
        const out = await bucket.client.send(new GetObjectCommand({ Bucket: bucket.settings.bucket, Key: `o-${size}` }));
        const bytes = await drain(out.Body as Readable, true);
        assert.equal(createHash('sha256').update(bytes).digest('hex'), want.get(size), `read ${i} of ${size} bytes`);
      }),
    );
    assert.ok(readBuffers.stats.reused > reusedBefore, 'the reads went round the pool');
  });

  test('the S3 blob store reads through it: open, ranged open, openVersioned', async () => {
    const store = createS3BlobStore({ ...bucket.settings, client: bucket.client, states: createMemoryUploadStates() });
    const data = randomBytes(3 * MiB + 11);
    const digest = `sha256:${createHash('sha256').update(data).digest('hex')}` as Digest;
    await store.put(digest, (await import('node:stream')).Readable.from([data]));
    const direct = handler.stats.direct;
    assert.ok((await drain((await store.open(digest))!)).equals(data));
    assert.ok((await drain((await store.open(digest, { start: 300 * KiB, end: 2 * MiB }))!)).equals(data.subarray(300 * KiB, 2 * MiB + 1)));
    const read = (await store.openVersioned!(digest))!;
    assert.equal(read.size, data.length);
    assert.ok(read.version);
    assert.ok((await drain(read.stream)).equals(data));
    assert.equal(handler.stats.direct - direct, 3);
  });
});
