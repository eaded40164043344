/** /v2/ and blobs (GET with Range, HEAD, DELETE) over real HTTP against a real fx.server!. */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRegistryClient, digestOf, assertRegistryError, type ConformanceFixture } from '../helpers/registry-client.ts';
import { startTestServer } from '../helpers/server.ts';

/**
 * `fx`: where the requests go (one node, or the HAProxy cluster). `inProcess`: whether `fx.server`
 * is there; tests that swap its gate or lifecycle, change attributes behind its back or run its
 * janitor are registered only then (`nodeOnly`), and the single-node run covers them.
 */
export function distributionBlobsSuite(fx: ConformanceFixture, inProcess: boolean): void {
const nodeOnly: typeof test = inProcess ? test : ((() => undefined) as unknown as typeof test);

describe('GET /v2/', () => {
  test('answers 200 with the API version header', async () => {
    const res = await fx.client.req('GET', '/v2/');
    assert.equal(res.status, 200);
    assert.equal(res.headers['docker-distribution-api-version'], 'registry/2.0');
    assert.deepEqual(res.json(), {});
  });

  nodeOnly('with token auth, the 401 challenge carries the version header too', async () => {
    const tokenServer = await startTestServer({ 'auth.adminPassword': 'not-used-here' });
    const anonymous = createRegistryClient(tokenServer.url);
    try {
      const res = await anonymous.req('GET', '/v2/');
      assertRegistryError(res, 401, 'UNAUTHORIZED');
      assert.match(String(res.headers['www-authenticate']), /^Bearer realm="/);
      const pull = await anonymous.req('GET', `/v2/team/app/manifests/latest`);
      assertRegistryError(pull, 401, 'UNAUTHORIZED');
      assert.match(String(pull.headers['www-authenticate']), /scope="repository:team\/app:pull"/);
    } finally {
      await anonymous.close();
      await tokenServer.close();
    }
  });

  test('unknown /v2 paths are 404 in the error format, with the version header', async () => {
    assertRegistryError(await fx.client.req('GET', '/v2/some/thing/unknown'), 404, 'NOT_FOUND');
  });
});

describe('blobs', () => {
  const data = Buffer.from('0123456789abcdefghij');
  let digest: string;
  before(async () => {
    digest = await fx.client.pushBlob('team/app/web', data);
  });

  test('GET returns the bytes with digest, length and type headers', async () => {
    const res = await fx.client.req('GET', `/v2/team/app/web/blobs/${digest}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, data);
    assert.equal(res.headers['docker-content-digest'], digest);
    assert.equal(res.headers['content-length'], String(data.length));
    assert.equal(res.headers['content-type'], 'application/octet-stream');
    assert.equal(res.headers['accept-ranges'], 'bytes');
  });

  test('HEAD returns the headers and no body', async () => {
    const res = await fx.client.req('HEAD', `/v2/team/app/web/blobs/${digest}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 0);
    assert.equal(res.headers['content-length'], String(data.length));
    assert.equal(res.headers['docker-content-digest'], digest);
  });

  test('the Azure SDK spelling team%2Fapp%2Fweb reaches the same repository', async () => {
    const res = await fx.client.req('GET', `/v2/team%2Fapp%2Fweb/blobs/${digest}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, data);
  });

  test('Range requests get 206 with Content-Range', async () => {
    let res = await fx.client.req('GET', `/v2/team/app/web/blobs/${digest}`, { headers: { range: 'bytes=2-5' } });
    assert.equal(res.status, 206);
    assert.equal(res.body.toString(), '2345');
    assert.equal(res.headers['content-range'], `bytes 2-5/${data.length}`);
    assert.equal(res.headers['content-length'], '4');
    res = await fx.client.req('GET', `/v2/team/app/web/blobs/${digest}`, { headers: { range: 'bytes=15-' } });
    assert.equal(res.status, 206);
    assert.equal(res.body.toString(), 'fghij');
    res = await fx.client.req('GET', `/v2/team/app/web/blobs/${digest}`, { headers: { range: 'bytes=-3' } });
    assert.equal(res.status, 206);
    assert.equal(res.body.toString(), 'hij');
  });

  test('an unsatisfiable range is 416 with Content-Range bytes */size', async () => {
    const res = await fx.client.req('GET', `/v2/team/app/web/blobs/${digest}`, { headers: { range: 'bytes=100-200' } });
    assertRegistryError(res, 416, 'RANGE_INVALID');
    assert.equal(res.headers['content-range'], `bytes */${data.length}`);
  });

  test('a malformed range is ignored: the whole blob is served', async () => {
    const res = await fx.client.req('GET', `/v2/team/app/web/blobs/${digest}`, { headers: { range: 'bytes=abc' } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, data);
  });

  test('a blob is only visible in the repository it was pushed to', async () => {
    assertRegistryError(await fx.client.req('GET', `/v2/other/blobs/${digest}`), 404, 'BLOB_UNKNOWN');
    const head = await fx.client.req('HEAD', `/v2/other/blobs/${digest}`);
    assert.equal(head.status, 404);
    assert.equal(head.body.length, 0);
  });

  test('unknown, malformed and unsupported digests', async () => {
    assertRegistryError(await fx.client.req('GET', `/v2/team/app/web/blobs/${digestOf('nope')}`), 404, 'BLOB_UNKNOWN');
    assertRegistryError(await fx.client.req('GET', '/v2/team/app/web/blobs/sha256:1234'), 400, 'DIGEST_INVALID');
    assertRegistryError(await fx.client.req('GET', `/v2/team/app/web/blobs/md5:${'a'.repeat(32)}`), 400, 'DIGEST_INVALID');
    assertRegistryError(await fx.client.req('GET', `/v2/team/app/web/blobs/sha256:${'A'.repeat(64)}`), 400, 'DIGEST_INVALID');
    assertRegistryError(await fx.client.req('GET', '/v2/team/app/web/blobs/notadigest'), 400, 'DIGEST_INVALID');
  });

  test('invalid repository names are NAME_INVALID', async () => {
    for (const name of ['Team/app', 'team//app', 'team/-app', 'a_-b', '.hidden', `${'a'.repeat(256)}`]) {
      assertRegistryError(await fx.client.req('GET', `/v2/${name}/blobs/${digest}`), 400, 'NAME_INVALID');
    }
    assertRegistryError(await fx.client.req('GET', `/v2/..%2Fetc/blobs/${digest}`), 400, 'NAME_INVALID');
  });

  test('sha512 blobs are stored, served and verified', async () => {
    const big = Buffer.from('sha512 content '.repeat(100));
    const d512 = await fx.client.pushBlob('team/app/web', big, 'sha512');
    assert.match(d512, /^sha512:[a-f0-9]{128}$/);
    const res = await fx.client.req('GET', `/v2/team/app/web/blobs/${d512}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, big);
    assert.equal(res.headers['docker-content-digest'], d512);
  });

  test('DELETE unlinks the blob from the repository: 202, then 404', async () => {
    const other = await fx.client.pushBlob('deleteme', 'to be deleted');
    await fx.client.pushBlob('keeper', 'to be deleted');
    const del = await fx.client.req('DELETE', `/v2/deleteme/blobs/${other}`);
    assert.equal(del.status, 202);
    assertRegistryError(await fx.client.req('GET', `/v2/deleteme/blobs/${other}`), 404, 'BLOB_UNKNOWN');
    assertRegistryError(await fx.client.req('DELETE', `/v2/deleteme/blobs/${other}`), 404, 'BLOB_UNKNOWN');
    // The bytes stay for other repositories (garbage collection decides).
    const kept = await fx.client.req('GET', `/v2/keeper/blobs/${other}`);
    assert.equal(kept.status, 200);
    assert.equal(kept.text(), 'to be deleted');
  });

  nodeOnly('a repository with readEnabled=false refuses blob reads; deleteEnabled=false refuses deletes', async () => {
    const d = await fx.client.pushBlob('locked/blobs', 'locked bytes');
    await fx.store.repositories.updateAttributes('locked/blobs', { readEnabled: false, deleteEnabled: false });
    assertRegistryError(await fx.client.req('GET', `/v2/locked/blobs/blobs/${d}`), 403, 'DENIED');
    assertRegistryError(await fx.client.req('DELETE', `/v2/locked/blobs/blobs/${d}`), 403, 'DENIED');
    await fx.store.repositories.updateAttributes('locked/blobs', { readEnabled: true, deleteEnabled: true });
    assert.equal((await fx.client.req('GET', `/v2/locked/blobs/blobs/${d}`)).status, 200);
  });
});
}
