/**
 * Check 3 of src/storage/verified-read.ts over real HTTP: on S3 (s3rver) a large blob's stored
 * version is hashed once per process and then served without the hash; an object replaced
 * behind the registry's back (a new ETag) is hashed again and never served as a complete wrong
 * blob, also after its old version was remembered; the original bytes put back verify again.
 * On the filesystem, which names no versions, every large GET is hashed: a file changed in place
 * with its old mtime restored is cut short after a good GET too.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { createTestBucket, type TestBucket } from './helpers/s3-server.ts';
import { uploadBlob } from './helpers/quarantine-fixtures.ts';
import { parse, value } from './helpers/prometheus.ts';

const SIZE = 2 * 1024 * 1024 + 5; // above the 1 MiB verified before sending (check 2)

async function verifications(server: TestServer) {
  const scrape = parse((await server.services.metrics!.render()).body);
  const n = (result: string) => value(scrape, 'lazaret_blob_verifications_total', { result });
  return { hashed: n('hashed'), remembered: n('remembered'), mismatch: n('mismatch') };
}

async function getObjectReads(server: TestServer) {
  const scrape = parse((await server.services.metrics!.render()).body);
  return { direct: value(scrape, 'lazaret_s3_get_object_reads_total', { reader: 'direct' }), nodeHttp: value(scrape, 'lazaret_s3_get_object_reads_total', { reader: 'node_http' }) };
}

/** A whole GET: its status, and the body, or 'cut short' when the transfer was aborted. */
async function pull(server: TestServer, repository: string, digest: string) {
  const res = await request(`${server.url}/v2/${repository}/blobs/${digest}`);
  try {
    return { status: res.statusCode, body: Buffer.from(await res.body.arrayBuffer()) as Buffer | 'cut short' };
  } catch {
    return { status: res.statusCode, body: 'cut short' as const };
  }
}

describe('blob GETs on S3: each stored version verified once', () => {
  let bucket: TestBucket;
  let server: TestServer;
  before(async () => {
    bucket = await createTestBucket();
    server = await startTestServer({ 'auth.mode': 'none', 'metrics.listen': '127.0.0.1:0', 'storage.driver': 's3', 'storage.s3': bucket.settings });
  });
  after(async () => {
    await server?.close();
    await bucket?.destroy();
  });

  test('hashed once, then remembered; a replaced object is cut short every time; the original put back verifies again', async () => {
    const data = randomBytes(SIZE);
    const digest = await uploadBlob(server.url, 'once/app', data);
    const key = `blobs/sha256/${digest.slice(7, 9)}/${digest.slice(7)}`;

    const first = await pull(server, 'once/app', digest);
    assert.equal(first.status, 200);
    assert.ok(first.body !== 'cut short' && first.body.equals(data));
    assert.deepEqual(await verifications(server), { hashed: 1, remembered: 0, mismatch: 0 }, 'the first GET hashed the bytes');
    const second = await pull(server, 'once/app', digest);
    assert.ok(second.body !== 'cut short' && second.body.equals(data));
    assert.deepEqual(await verifications(server), { hashed: 1, remembered: 1, mismatch: 0 }, 'the same version again: not hashed');

    // Replaced behind the registry's back: same size (check 1 passes), other bytes, new ETag.
    const wrong = randomBytes(SIZE);
    await bucket.client.send(new PutObjectCommand({ Bucket: bucket.settings.bucket, Key: key, Body: wrong, ContentLength: SIZE }));
    for (let i = 1; i <= 2; i++) {
      const res = await pull(server, 'once/app', digest);
      assert.equal(res.status, 200);
      assert.equal(res.body, 'cut short', `GET ${i} of the replaced object is never a complete wrong blob`);
      assert.deepEqual(await verifications(server), { hashed: 1, remembered: 1, mismatch: i });
    }

    // The right bytes put back (the same ETag as the first version, maybe the same second):
    // the mismatch forgot the digest, so it is hashed again before it is trusted.
    await bucket.client.send(new PutObjectCommand({ Bucket: bucket.settings.bucket, Key: key, Body: data, ContentLength: SIZE }));
    const restored = await pull(server, 'once/app', digest);
    assert.ok(restored.body !== 'cut short' && restored.body.equals(data));
    assert.deepEqual(await verifications(server), { hashed: 2, remembered: 1, mismatch: 2 });
    assert.ok((await pull(server, 'once/app', digest)).body !== 'cut short');
    assert.deepEqual(await verifications(server), { hashed: 2, remembered: 2, mismatch: 2 });

    // Ranges and small blobs are outside check 3 and count nothing.
    const part = await request(`${server.url}/v2/once/app/blobs/${digest}`, { headers: { range: 'bytes=10-19' } });
    assert.equal(part.statusCode, 206);
    assert.ok(Buffer.from(await part.body.arrayBuffer()).equals(data.subarray(10, 20)));
    assert.deepEqual(await verifications(server), { hashed: 2, remembered: 2, mismatch: 2 });

    // Every GetObject above (s3rver frames its bodies by Content-Length) went through the
    // driver's own reader, none through node:http.
    const reads = await getObjectReads(server);
    assert.ok(reads.direct >= 7, `direct reads: ${reads.direct}`);
    assert.equal(reads.nodeHttp, 0);
  });
});

describe('blob GETs on the filesystem: always hashed', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ 'auth.mode': 'none', 'metrics.listen': '127.0.0.1:0' });
  });
  after(async () => {
    await server?.close();
  });

  test('a file rewritten in place with its mtime put back is cut short after a good GET', async () => {
    const data = randomBytes(SIZE);
    const digest = await uploadBlob(server.url, 'fs/app', data);
    assert.ok((await pull(server, 'fs/app', digest)).body !== 'cut short');
    const file = join(server.dataDir, 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7));
    const { atime, mtime } = statSync(file);
    writeFileSync(file, randomBytes(SIZE));
    utimesSync(file, atime, mtime);
    const res = await pull(server, 'fs/app', digest);
    assert.equal(res.status, 200);
    assert.equal(res.body, 'cut short');
    assert.deepEqual(await verifications(server), { hashed: 1, remembered: 0, mismatch: 1 });
  });
});
