/**
 * The S3 driver behind the real HTTP API: two nodes on one PostgreSQL schema and one bucket
 * take turns on one chunked upload; presigned redirects; and bad configuration (a missing
 * bucket, refused credentials, an unreachable endpoint) at start and at run time.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { assertRegistryError, createRegistryClient, digestOf, type RegistryClient } from './helpers/registry-client.ts';
import { createTestBucket, type TestBucket } from './helpers/s3-server.ts';
import { postgresReachable, skipUnless, TEST_DATABASE_URL, dropTestSchema } from './helpers/environment.ts';

const s3Overrides = (bucket: TestBucket, extra: Record<string, unknown> = {}) => ({
  'auth.mode': 'none',
  'storage.driver': 's3',
  'storage.s3': { ...bucket.settings, ...extra },
});

describe('S3 storage: two nodes, one PostgreSQL, one bucket', { skip: skipUnless(await postgresReachable(), `PostgreSQL not reachable at ${TEST_DATABASE_URL}`) }, () => {
  const schema = `lazaret_s3_${randomBytes(5).toString('hex')}`;
  let bucket: TestBucket;
  const nodes: TestServer[] = [];
  let clients: RegistryClient[] = [];
  before(async () => {
    bucket = await createTestBucket();
    const databaseUrl = `${TEST_DATABASE_URL}?schema=${schema}`;
    // Started one after the other: the second finds the schema migrated.
    for (let i = 0; i < 2; i++) nodes.push(await startTestServer({ ...s3Overrides(bucket), databaseUrl }));
    clients = nodes.map((n) => createRegistryClient(n.url));
  });
  after(async () => {
    for (const c of clients) await c.close();
    for (const n of nodes) await n.close();
    await bucket?.destroy();
    await dropTestSchema(schema);
  });

  test('a chunked upload whose PATCHes alternate between nodes commits, and either node serves it', async () => {
    const [a, b] = clients as [RegistryClient, RegistryClient];
    const data = randomBytes(7 * 1024 * 1024 + 11); // more than one 5 MiB+ part
    const digest = digestOf(data);
    const started = a.expectStatus(await a.req('POST', '/v2/s3/cross/blobs/uploads/'), 202, 'start');
    let location = started.headers.location as string;
    const cuts = [0, 3 * 1024 * 1024, 6 * 1024 * 1024, data.length];
    for (let i = 0; i < 3; i++) {
      const node = i % 2 === 0 ? a : b;
      const chunk = data.subarray(cuts[i], cuts[i + 1]);
      const res = node.expectStatus(
        await node.req('PATCH', location, { headers: { 'content-type': 'application/octet-stream', 'content-range': `${cuts[i]}-${cuts[i + 1]! - 1}` }, body: chunk }),
        202,
        `chunk ${i}`,
      );
      assert.equal(res.headers.range, `0-${cuts[i + 1]! - 1}`);
      location = res.headers.location as string;
    }
    // A chunk resent at a stale offset (a retry after a lost answer) is refused with where the upload stands.
    const stale = await a.req('PATCH', location, { headers: { 'content-type': 'application/octet-stream', 'content-range': `0-9` }, body: data.subarray(0, 10) });
    assertRegistryError(stale, 416, 'BLOB_UPLOAD_INVALID');
    assert.equal(stale.headers.range, `0-${data.length - 1}`);
    b.expectStatus(await b.req('PUT', `${location}${location.includes('?') ? '&' : '?'}digest=${digest}`), 201, 'commit on the other node');
    const head = a.expectStatus(await a.req('HEAD', `/v2/s3/cross/blobs/${digest}`), 200, 'head');
    assert.equal(Number(head.headers['content-length']), data.length);
    const whole = b.expectStatus(await b.req('GET', `/v2/s3/cross/blobs/${digest}`), 200, 'get');
    assert.ok(whole.body.equals(data));
    const ranged = a.expectStatus(await a.req('GET', `/v2/s3/cross/blobs/${digest}`, { headers: { range: 'bytes=5242870-5242889' } }), 206, 'range');
    assert.ok(ranged.body.equals(data.subarray(5242870, 5242890)));
    // Nothing of the upload is left in the bucket: only the blob under its digest.
    assert.deepEqual(await bucket.keys(), [`blobs/sha256/${digest.slice(7, 9)}/${digest.slice(7)}`]);
  });

  test('a wrong digest at commit: DIGEST_INVALID, nothing visible, nothing left in the bucket', async () => {
    const [a, b] = clients as [RegistryClient, RegistryClient];
    const before = await bucket.keys();
    const started = a.expectStatus(await a.req('POST', '/v2/s3/bad/blobs/uploads/'), 202, 'start');
    const patched = b.expectStatus(await b.req('PATCH', started.headers.location as string, { headers: { 'content-type': 'application/octet-stream' }, body: randomBytes(1000) }), 202, 'patch');
    const claimed = digestOf('something else');
    const loc = patched.headers.location as string;
    assertRegistryError(await a.req('PUT', `${loc}${loc.includes('?') ? '&' : '?'}digest=${claimed}`), 400, 'DIGEST_INVALID');
    assert.equal((await b.req('HEAD', `/v2/s3/bad/blobs/${claimed}`)).status, 404);
    assert.deepEqual(await bucket.keys(), before);
  });

  test('POST, then PUT with the whole body of a multi-part blob: committed (the session gone); a wrong digest leaves nothing', async () => {
    const [a, b] = clients as [RegistryClient, RegistryClient];
    const data = randomBytes(9 * 1024 * 1024 + 3); // more than one 8 MiB part
    const digest = digestOf(data);
    const before = await bucket.keys();
    const wrongStart = a.expectStatus(await a.req('POST', '/v2/s3/whole/blobs/uploads/'), 202, 'start');
    const wrongAt = wrongStart.headers.location as string;
    assertRegistryError(await b.req('PUT', `${wrongAt}?digest=${digestOf('not it')}`, { body: data }), 400, 'DIGEST_INVALID');
    assertRegistryError(await a.req('GET', wrongAt), 404, 'BLOB_UPLOAD_UNKNOWN');
    assert.deepEqual(await bucket.keys(), before, 'nothing of the refused blob or its session in the bucket');

    const started = a.expectStatus(await a.req('POST', '/v2/s3/whole/blobs/uploads/'), 202, 'start');
    const at = started.headers.location as string;
    b.expectStatus(await b.req('PUT', `${at}?digest=${digest}`, { body: data }), 201, 'whole body on the other node');
    assertRegistryError(await a.req('GET', at), 404, 'BLOB_UPLOAD_UNKNOWN');
    assert.ok(a.expectStatus(await a.req('GET', `/v2/s3/whole/blobs/${digest}`), 200, 'get').body.equals(data));
    assert.deepEqual(await bucket.keys(), [...before, `blobs/sha256/${digest.slice(7, 9)}/${digest.slice(7)}`].sort());
  });
});

describe('S3 storage: redirects', () => {
  let bucket: TestBucket;
  let server: TestServer;
  let client: RegistryClient;
  before(async () => {
    bucket = await createTestBucket();
    server = await startTestServer(s3Overrides(bucket, { redirect: true }));
    client = createRegistryClient(server.url);
  });
  after(async () => {
    await client?.close();
    await server?.close();
    await bucket?.destroy();
  });

  test('a blob GET answers 307 to a presigned URL that serves exactly that blob; HEAD and unknown blobs do not redirect', async () => {
    const data = randomBytes(2048);
    const digest = await client.pushBlob('s3/redirect', data);
    const res = await client.req('GET', `/v2/s3/redirect/blobs/${digest}`);
    assert.equal(res.status, 307);
    const url = new URL(res.headers.location as string);
    assert.match(url.searchParams.get('X-Amz-Expires') ?? '', /^\d+$/, 'the URL expires');
    const fetched = await request(url);
    assert.equal(fetched.statusCode, 200);
    assert.ok(Buffer.from(await fetched.body.arrayBuffer()).equals(data));
    assert.equal((await client.req('HEAD', `/v2/s3/redirect/blobs/${digest}`)).status, 200);
    // Another repository that does not link the blob: 404 from the gate's side, no URL handed out.
    const other = await client.req('GET', `/v2/s3/elsewhere/blobs/${digest}`);
    assertRegistryError(other, 404, 'BLOB_UNKNOWN');
    assert.equal(other.headers.location, undefined);
  });
});

describe('S3 storage: an object gone from the bucket', () => {
  let bucket: TestBucket;
  let server: TestServer;
  let client: RegistryClient;
  before(async () => {
    bucket = await createTestBucket();
    server = await startTestServer(s3Overrides(bucket));
    client = createRegistryClient(server.url);
  });
  after(async () => {
    await client?.close();
    await server?.close();
    await bucket?.destroy();
  });

  test('HEAD answers from the database; GET says the bytes are missing (500), and 404 once unlinked', async () => {
    const data = randomBytes(3000);
    const digest = await client.pushBlob('s3/vanished', data);
    await bucket.client.send(new DeleteObjectCommand({ Bucket: bucket.settings.bucket, Key: `blobs/sha256/${digest.slice(7, 9)}/${digest.slice(7)}` }));
    const head = client.expectStatus(await client.req('HEAD', `/v2/s3/vanished/blobs/${digest}`), 200, 'head');
    assert.equal(Number(head.headers['content-length']), data.length);
    const get = await client.req('GET', `/v2/s3/vanished/blobs/${digest}`);
    assertRegistryError(get, 500, 'UNKNOWN');
    assert.match(get.body.toString('utf8'), /bytes are missing from storage/);
    const ranged = await client.req('GET', `/v2/s3/vanished/blobs/${digest}`, { headers: { range: 'bytes=0-9' } });
    assertRegistryError(ranged, 500, 'UNKNOWN');
    // Pushed again (a monolithic upload): stored, readable whole.
    await client.pushBlob('s3/vanished', data);
    assert.ok(client.expectStatus(await client.req('GET', `/v2/s3/vanished/blobs/${digest}`), 200, 'get again').body.equals(data));
  });
});

describe('S3 storage: bad configuration', () => {
  let bucket: TestBucket;
  before(async () => {
    bucket = await createTestBucket();
  });
  after(async () => bucket?.destroy());

  test('a missing bucket, refused credentials or an unreachable endpoint stop the start with a clear error', async () => {
    await assert.rejects(startTestServer(s3Overrides(bucket, { bucket: 'no-such-bucket-here' })), /bucket no-such-bucket-here does not exist/);
    await assert.rejects(startTestServer(s3Overrides(bucket, { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'wrong' })), /refused/);
    await assert.rejects(startTestServer(s3Overrides(bucket, { endpoint: 'http://127.0.0.1:1' })), /unreachable/);
  });

  test('a bucket lost at run time: 503 UNAVAILABLE on /v2 and /healthz, never a hang', async () => {
    const lost = await createTestBucket();
    const server = await startTestServer(s3Overrides(lost));
    const client = createRegistryClient(server.url);
    try {
      const digest = await client.pushBlob('s3/lost', randomBytes(100));
      await lost.destroy();
      // A HEAD is answered from the database and keeps working; a GET names the outage.
      const head = await client.req('HEAD', `/v2/s3/lost/blobs/${digest}`);
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-length'], '100');
      assertRegistryError(await client.req('GET', `/v2/s3/lost/blobs/${digest}`), 503, 'UNAVAILABLE');
      const push = await client.req('POST', `/v2/s3/lost/blobs/uploads/?digest=${digestOf('x')}`, { headers: { 'content-type': 'application/octet-stream' }, body: 'x' });
      assertRegistryError(push, 503, 'UNAVAILABLE');
      assert.equal((await client.req('GET', '/healthz')).status, 503);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
