/** Blob uploads: monolithic, POST then PUT, chunked, status, cancel, mounts, janitor; failure paths included. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { digestOf, assertRegistryError, type ConformanceFixture } from '../helpers/registry-client.ts';

/**
 * `fx`: where the requests go (one node, or the HAProxy cluster). `inProcess`: whether `fx.server`
 * is there; tests that swap its gate or lifecycle, change attributes behind its back or run its
 * janitor are registered only then (`nodeOnly`), and the single-node run covers them.
 */
export function distributionUploadsSuite(fx: ConformanceFixture, inProcess: boolean): void {
const nodeOnly: typeof test = inProcess ? test : ((() => undefined) as unknown as typeof test);

async function startUpload(name: string): Promise<string> {
  const res = await fx.client.req('POST', `/v2/${name}/blobs/uploads/`);
  assert.equal(res.status, 202, res.text());
  const location = res.headers.location as string;
  assert.match(location, new RegExp(`^/v2/${name}/blobs/uploads/[0-9a-f-]{36}$`), 'Location is path-absolute');
  assert.equal(res.headers.range, '0-0');
  assert.equal(res.headers['docker-upload-uuid'], location.split('/').at(-1));
  return location;
}

async function blobBytes(name: string, digest: string): Promise<Buffer> {
  const res = await fx.client.req('GET', `/v2/${name}/blobs/${digest}`);
  assert.equal(res.status, 200, res.text());
  return res.body;
}

describe('monolithic uploads', () => {
  test('single POST with ?digest= creates the blob (201, Location, Docker-Content-Digest)', async () => {
    const data = randomBytes(1000);
    const digest = digestOf(data);
    const res = await fx.client.req('POST', `/v2/mono/blobs/uploads/?digest=${digest}`, { body: data, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(res.status, 201);
    assert.equal(res.headers.location, `/v2/mono/blobs/${digest}`);
    assert.equal(res.headers['docker-content-digest'], digest);
    assert.deepEqual(await blobBytes('mono', digest), data);
  });

  test('the empty blob, by single POST and by POST then empty PUT', async () => {
    const empty = digestOf('');
    const res = await fx.client.req('POST', `/v2/empty/one/blobs/uploads/?digest=${empty}`, { headers: { 'content-length': '0' } });
    assert.equal(res.status, 201, res.text());
    const location = await startUpload('empty/two');
    assert.equal((await fx.client.req('PUT', `${location}?digest=${empty}`, { headers: { 'content-length': '0' } })).status, 201);
    for (const name of ['empty/one', 'empty/two']) {
      const get = await fx.client.req('GET', `/v2/${name}/blobs/${empty}`);
      assert.equal(get.status, 200);
      assert.equal(get.body.length, 0);
      assert.equal(get.headers['content-length'], '0');
    }
    assert.equal((await fx.client.req('GET', `/v2/empty/one/blobs/${empty}`, { headers: { range: 'bytes=0-0' } })).status, 416);
  });

  test('single POST with a wrong digest is DIGEST_INVALID and nothing becomes visible', async () => {
    const data = randomBytes(100);
    const wrong = digestOf('something else');
    assertRegistryError(await fx.client.req('POST', `/v2/mono/blobs/uploads/?digest=${wrong}`, { body: data }), 400, 'DIGEST_INVALID');
    assert.equal((await fx.client.req('HEAD', `/v2/mono/blobs/${wrong}`)).status, 404);
    assert.equal((await fx.client.req('HEAD', `/v2/mono/blobs/${digestOf(data)}`)).status, 404);
    // The blob store itself is looked at where it is in process (the bucket is no file to look into).
    if (fx.server) assert.equal(await fx.server!.services.blobs.stat(digestOf(data) as never), undefined);
  });

  test('single POST with a malformed digest is DIGEST_INVALID', async () => {
    assertRegistryError(await fx.client.req('POST', '/v2/mono/blobs/uploads/?digest=sha256:nothex', { body: 'x' }), 400, 'DIGEST_INVALID');
  });

  test('POST then PUT with the whole body', async () => {
    const data = randomBytes(5000);
    const digest = digestOf(data);
    const location = await startUpload('team/app/web');
    const res = await fx.client.req('PUT', `${location}?digest=${digest}`, { body: data, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(res.status, 201, res.text());
    assert.equal(res.headers.location, `/v2/team/app/web/blobs/${digest}`);
    assert.deepEqual(await blobBytes('team/app/web', digest), data);
    // The session is over.
    assertRegistryError(await fx.client.req('GET', location), 404, 'BLOB_UPLOAD_UNKNOWN');
  });

  test('POST then PUT of a sha512 blob', async () => {
    const data = randomBytes(3000);
    const digest = digestOf(data, 'sha512');
    const location = await startUpload('sha');
    assert.equal((await fx.client.req('PUT', `${location}?digest=${digest}`, { body: data })).status, 201);
    assert.deepEqual(await blobBytes('sha', digest), data);
  });

  test('PUT with a wrong digest is DIGEST_INVALID, ends the session, and leaves nothing visible', async () => {
    const data = randomBytes(100);
    const location = await startUpload('mono');
    const wrong = digestOf('not it');
    assertRegistryError(await fx.client.req('PUT', `${location}?digest=${wrong}`, { body: data }), 400, 'DIGEST_INVALID');
    assert.equal((await fx.client.req('HEAD', `/v2/mono/blobs/${digestOf(data)}`)).status, 404);
    assertRegistryError(await fx.client.req('GET', location), 404, 'BLOB_UPLOAD_UNKNOWN');
  });

  test('PUT without a digest is DIGEST_INVALID and the session survives', async () => {
    const location = await startUpload('mono');
    assertRegistryError(await fx.client.req('PUT', location, { body: 'abc' }), 400, 'DIGEST_INVALID');
    assert.equal((await fx.client.req('GET', location)).status, 204);
  });
});

describe('chunked uploads', () => {
  test('PATCH chunks with Content-Range, status GET, final PUT', async () => {
    const data = randomBytes(30_000);
    const digest = digestOf(data);
    const location = await startUpload('chunky');
    let res = await fx.client.req('PATCH', location, { body: data.subarray(0, 10_000), headers: { 'content-range': '0-9999', 'content-type': 'application/octet-stream' } });
    assert.equal(res.status, 202, res.text());
    assert.equal(res.headers.range, '0-9999');
    assert.equal(res.headers.location, location);
    res = await fx.client.req('GET', location);
    assert.equal(res.status, 204);
    assert.equal(res.headers.range, '0-9999');
    assert.equal(res.headers.location, location);
    res = await fx.client.req('PATCH', location, { body: data.subarray(10_000, 20_000), headers: { 'content-range': '10000-19999' } });
    assert.equal(res.status, 202);
    assert.equal(res.headers.range, '0-19999');
    // The last chunk rides on the closing PUT.
    res = await fx.client.req('PUT', `${location}?digest=${digest}`, { body: data.subarray(20_000), headers: { 'content-range': '20000-29999' } });
    assert.equal(res.status, 201, res.text());
    assert.deepEqual(await blobBytes('chunky', digest), data);
  });

  test('PATCH without Content-Range appends (Docker streaming), then an empty PUT closes', async () => {
    const data = randomBytes(2 * 1024 * 1024 + 17);
    const digest = digestOf(data);
    const location = await startUpload('chunky');
    async function* slices() {
      for (let i = 0; i < data.length; i += 64 * 1024) yield data.subarray(i, i + 64 * 1024);
    }
    let res = await fx.client.req('PATCH', location, { body: slices() });
    assert.equal(res.status, 202, res.text());
    assert.equal(res.headers.range, `0-${data.length - 1}`);
    res = await fx.client.req('PUT', `${location}?digest=${digest}`, { headers: { 'content-length': '0' } });
    assert.equal(res.status, 201, res.text());
    assert.deepEqual(await blobBytes('chunky', digest), data);
  });

  test('an out-of-order chunk is 416 with the current Range; the upload continues', async () => {
    const data = randomBytes(200);
    const location = await startUpload('chunky');
    await fx.client.req('PATCH', location, { body: data.subarray(0, 100), headers: { 'content-range': '0-99' } });
    let res = await fx.client.req('PATCH', location, { body: data.subarray(150), headers: { 'content-range': '150-199' } });
    assertRegistryError(res, 416, 'BLOB_UPLOAD_INVALID');
    assert.equal(res.headers.range, '0-99');
    assert.equal(res.headers.location, location);
    res = await fx.client.req('PATCH', location, { body: data.subarray(0, 100), headers: { 'content-range': '0-99' } });
    assert.equal(res.status, 416, 'a repeated chunk is out of order too');
    res = await fx.client.req('PATCH', location, { body: data.subarray(100), headers: { 'content-range': '100-199' } });
    assert.equal(res.status, 202);
    assert.equal((await fx.client.req('PUT', `${location}?digest=${digestOf(data)}`)).status, 201);
    assert.deepEqual(await blobBytes('chunky', digestOf(data)), data);
  });

  test('a malformed Content-Range is 416 and changes nothing', async () => {
    const location = await startUpload('chunky');
    const res = await fx.client.req('PATCH', location, { body: 'abc', headers: { 'content-range': 'bytes=zero-two' } });
    assertRegistryError(res, 416, 'BLOB_UPLOAD_INVALID');
    assert.equal(res.headers.range, '0-0');
    assert.equal((await fx.client.req('GET', location)).headers.range, '0-0');
  });

  test('a Content-Range that disagrees with Content-Length is SIZE_INVALID', async () => {
    const location = await startUpload('chunky');
    assertRegistryError(await fx.client.req('PATCH', location, { body: 'abcdef', headers: { 'content-range': '0-2' } }), 400, 'SIZE_INVALID');
  });

  test('a streamed chunk (no Content-Length) longer than its Content-Range is SIZE_INVALID and leaves the upload as it was', async () => {
    const location = await startUpload('chunky');
    await fx.client.req('PATCH', location, { body: 'abcd', headers: { 'content-range': '0-3' } });
    async function* tooLong() {
      yield Buffer.from('efgh');
      yield Buffer.from('ijklmnop');
    }
    const res = await fx.client.req('PATCH', location, { body: tooLong(), headers: { 'content-range': '4-7' } });
    assertRegistryError(res, 400, 'SIZE_INVALID');
    assert.equal((await fx.client.req('GET', location)).headers.range, '0-3');
    async function* exact() {
      yield Buffer.from('ef');
      yield Buffer.from('gh');
    }
    assert.equal((await fx.client.req('PATCH', location, { body: exact(), headers: { 'content-range': '4-7' } })).status, 202);
    assert.equal((await fx.client.req('PUT', `${location}?digest=${digestOf('abcdefgh')}`)).status, 201);
    assert.equal((await blobBytes('chunky', digestOf('abcdefgh'))).toString(), 'abcdefgh');
  });

  // It watches the upload's size grow while the chunk streams: the filesystem driver reports
  // bytes as they arrive, the S3 driver only acknowledged chunks (its own suite covers a chunk
  // that fails half-way, and the cluster test a node that dies in the middle of one).
  nodeOnly('a chunk the client abandons half-way leaves the upload as it was', async () => {
    const location = await startUpload('chunky');
    await fx.client.req('PATCH', location, { body: 'head', headers: { 'content-range': '0-3' } });
    const abort = new AbortController();
    let release!: () => void;
    const stall = new Promise<void>((resolve) => (release = resolve));
    async function* body() {
      yield randomBytes(512 * 1024);
      await stall;
      yield randomBytes(512 * 1024);
    }
    const sending = fx.client.req('PATCH', location, { body: body(), signal: abort.signal }).then(() => 'completed', () => 'aborted');
    const deadline = Date.now() + 10_000;
    while (Number(String((await fx.client.req('GET', location)).headers.range).split('-')[1]) < 4 + 1024) {
      assert.ok(Date.now() < deadline, 'the server never received the first half of the chunk');
      await new Promise((r) => setTimeout(r, 20));
    }
    abort.abort();
    release();
    assert.equal(await sending, 'aborted');
    for (let i = 0; i < 100 && (await fx.client.req('GET', location)).headers.range !== '0-3'; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await fx.client.req('GET', location)).headers.range, '0-3');
    assert.equal((await fx.client.req('PATCH', location, { body: 'tail', headers: { 'content-range': '4-7' } })).status, 202);
    assert.equal((await fx.client.req('PUT', `${location}?digest=${digestOf('headtail')}`)).status, 201);
  });

  test('unknown, malformed and foreign upload ids are BLOB_UPLOAD_UNKNOWN', async () => {
    const unknown = '/v2/chunky/blobs/uploads/00000000-0000-4000-8000-000000000000';
    assertRegistryError(await fx.client.req('GET', unknown), 404, 'BLOB_UPLOAD_UNKNOWN');
    assertRegistryError(await fx.client.req('PATCH', unknown, { body: 'x' }), 404, 'BLOB_UPLOAD_UNKNOWN');
    assertRegistryError(await fx.client.req('PUT', `${unknown}?digest=${digestOf('x')}`, { body: 'x' }), 404, 'BLOB_UPLOAD_UNKNOWN');
    assertRegistryError(await fx.client.req('DELETE', unknown), 404, 'BLOB_UPLOAD_UNKNOWN');
    assertRegistryError(await fx.client.req('GET', '/v2/chunky/blobs/uploads/..%2F..%2Fetc'), 404, 'BLOB_UPLOAD_UNKNOWN');
    // A session belongs to the repository that opened it.
    const location = await startUpload('chunky');
    const id = location.split('/').at(-1);
    assertRegistryError(await fx.client.req('GET', `/v2/elsewhere/blobs/uploads/${id}`), 404, 'BLOB_UPLOAD_UNKNOWN');
  });

  test('DELETE cancels: 204, then the session is unknown and its bytes are gone', async () => {
    const location = await startUpload('chunky');
    const id = location.split('/').at(-1)!;
    await fx.client.req('PATCH', location, { body: 'partial', headers: { 'content-range': '0-6' } });
    assert.equal((await fx.client.req('DELETE', location)).status, 204);
    assertRegistryError(await fx.client.req('GET', location), 404, 'BLOB_UPLOAD_UNKNOWN');
    if (fx.server) assert.equal(await fx.server!.services.blobs.uploads.size(id), undefined);
    assert.equal(await fx.store.uploads.get(id), undefined);
  });
});

describe('cross-repository mount', () => {
  test('mounts a blob the source repository has: 201 and readable in the target', async () => {
    const digest = await fx.client.pushBlob('source/repo', 'shared layer');
    const res = await fx.client.req('POST', `/v2/target/repo/blobs/uploads/?mount=${digest}&from=source/repo`);
    assert.equal(res.status, 201, res.text());
    assert.equal(res.headers.location, `/v2/target/repo/blobs/${digest}`);
    assert.equal(res.headers['docker-content-digest'], digest);
    assert.equal((await blobBytes('target/repo', digest)).toString(), 'shared layer');
  });

  test('falls back to an upload session (202) when the source lacks the blob or is invalid', async () => {
    const absent = digestOf('never pushed');
    const present = await fx.client.pushBlob('source/repo', 'present');
    for (const query of [`mount=${absent}&from=source/repo`, `mount=${present}&from=Bad_Name`, `mount=${present}`, `mount=sha256:xyz&from=source/repo`, `mount=${present}&from=other/repo`]) {
      const res = await fx.client.req('POST', `/v2/target/fallback/blobs/uploads/?${query}`);
      assert.equal(res.status, 202, `${query}: ${res.text()}`);
      assert.match(res.headers.location as string, /^\/v2\/target\/fallback\/blobs\/uploads\/[0-9a-f-]{36}$/);
    }
    assert.equal((await fx.client.req('HEAD', `/v2/target/fallback/blobs/${present}`)).status, 404);
  });

  nodeOnly('falls back when the gate refuses the mount', async () => {
    const digest = await fx.client.pushBlob('source/gated', 'gated layer');
    const gate = fx.server!.services.gate;
    fx.server!.services.gate = { ...gate, canMount: async () => false };
    try {
      const res = await fx.client.req('POST', `/v2/target/gated/blobs/uploads/?mount=${digest}&from=source/gated`);
      assert.equal(res.status, 202);
      assert.equal((await fx.client.req('HEAD', `/v2/target/gated/blobs/${digest}`)).status, 404);
    } finally {
      fx.server!.services.gate = gate;
    }
  });
});

describe('upload janitor', () => {
  nodeOnly('removes sessions idle longer than uploads.staleAfterSeconds, with their bytes', async () => {
    const location = await startUpload('janitor');
    const id = location.split('/').at(-1)!;
    await fx.client.req('PATCH', location, { body: 'stale bytes', headers: { 'content-range': '0-10' } });
    const { createUploadJanitor } = await import('../../src/distribution/upload-janitor.ts');
    const janitor = createUploadJanitor({
      store: fx.server!.services.store,
      blobs: fx.server!.services.blobs,
      staleAfterSeconds: fx.server!.services.config.uploads.staleAfterSeconds,
      logger: fx.server!.services.logger,
    });
    // Nothing is stale now...
    await janitor.sweep(new Date());
    assert.equal((await fx.client.req('GET', location)).status, 204);
    // ...but a day later it is.
    const later = new Date(Date.now() + (fx.server!.services.config.uploads.staleAfterSeconds + 60) * 1000);
    assert.ok((await janitor.sweep(later)) >= 1);
    assertRegistryError(await fx.client.req('GET', location), 404, 'BLOB_UPLOAD_UNKNOWN');
    assert.equal(await fx.server!.services.blobs.uploads.size(id), undefined);
  });

  nodeOnly('keeps a session whose record is old while its bytes are still being written', async () => {
    const { utimes } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { createUploadJanitor } = await import('../../src/distribution/upload-janitor.ts');
    const location = await startUpload('janitor');
    const id = location.split('/').at(-1)!;
    const janitor = createUploadJanitor({ store: fx.server!.services.store, blobs: fx.server!.services.blobs, staleAfterSeconds: 60, logger: fx.server!.services.logger });
    const later = new Date(Date.now() + 120_000);
    // A long chunk in flight: the temp file (docs/storage.md layout) was written "just now".
    await utimes(join(fx.server!.dataDir, 'blobs', '_uploads', id), later, later);
    await janitor.sweep(later);
    assert.equal((await fx.client.req('GET', location)).status, 204);
  });

  nodeOnly('removes stale temp data that no session owns (left by a crash mid-upload)', async () => {
    const { randomUUID } = await import('node:crypto');
    const { createUploadJanitor } = await import('../../src/distribution/upload-janitor.ts');
    const orphan = randomUUID();
    await fx.server!.services.blobs.uploads.create(orphan);
    const janitor = createUploadJanitor({ store: fx.server!.services.store, blobs: fx.server!.services.blobs, staleAfterSeconds: 60, logger: fx.server!.services.logger });
    await janitor.sweep(new Date());
    assert.equal(await fx.server!.services.blobs.uploads.size(orphan), 0, 'fresh temp data is kept');
    await janitor.sweep(new Date(Date.now() + 120_000));
    assert.equal(await fx.server!.services.blobs.uploads.size(orphan), undefined);
  });
});
}
