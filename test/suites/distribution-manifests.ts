/** Manifests: push/pull/delete by tag and digest, every supported type, and the failure paths. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OCI, buildImage, descriptor, digestOf, assertRegistryError, type ConformanceFixture } from '../helpers/registry-client.ts';
import { combineLifecycles, type ManifestDeleted, type ManifestPushed } from '../../src/events/manifest-lifecycle.ts';

/**
 * `fx`: where the requests go (one node, or the HAProxy cluster). `inProcess`: whether `fx.server`
 * is there; tests that swap its gate or lifecycle, change attributes behind its back or run its
 * janitor are registered only then (`nodeOnly`), and the single-node run covers them.
 */
export function distributionManifestsSuite(fx: ConformanceFixture, inProcess: boolean): void {
const nodeOnly: typeof test = inProcess ? test : ((() => undefined) as unknown as typeof test);

/** Adds a recording listener after the production ones for the duration of `fn`. */
async function recording(fn: (events: { pushed: ManifestPushed[]; deleted: ManifestDeleted[] }) => Promise<void>) {
  const events = { pushed: [] as ManifestPushed[], deleted: [] as ManifestDeleted[] };
  const original = fx.server!.services.lifecycle;
  fx.server!.services.lifecycle = combineLifecycles(original, {
    pushed: async (_tx, e) => void events.pushed.push(e),
    deleted: async (_tx, e) => void events.deleted.push(e),
    repositoryDeleted: async () => {},
    released: async () => {},
    rescanRequested: async () => {},
    verdictChanged: async () => {},
  });
  try {
    await fn(events);
  } finally {
    fx.server!.services.lifecycle = original;
  }
}

describe('image manifests', () => {
  test('push by tag, then GET and HEAD by tag and digest return the exact bytes and headers', async () => {
    const image = buildImage({ layers: ['a', 'b'] });
    for (const blob of [image.config, ...image.layers]) await fx.client.pushBlob('team/app/web', blob);
    // Odd whitespace: the registry must keep the bytes exactly.
    const bytes = Buffer.from(JSON.stringify(image.manifest, null, 3) + '\n');
    const res = await fx.client.putManifest('team/app/web', 'v1', bytes, OCI.manifest);
    assert.equal(res.status, 201, res.text());
    const digest = digestOf(bytes);
    assert.equal(res.headers['docker-content-digest'], digest);
    assert.equal(res.headers.location, `/v2/team/app/web/manifests/${digest}`);
    assert.equal(res.headers['oci-subject'], undefined);
    for (const ref of ['v1', digest]) {
      const get = await fx.client.req('GET', `/v2/team/app/web/manifests/${ref}`, { headers: { accept: OCI.manifest } });
      assert.equal(get.status, 200);
      assert.deepEqual(get.body, bytes);
      assert.equal(get.headers['content-type'], OCI.manifest);
      assert.equal(get.headers['docker-content-digest'], digest);
      assert.equal(get.headers['content-length'], String(bytes.length));
      const head = await fx.client.req('HEAD', `/v2/team/app/web/manifests/${ref}`);
      assert.equal(head.status, 200);
      assert.equal(head.body.length, 0);
      assert.equal(head.headers['content-length'], String(bytes.length));
      assert.equal(head.headers['docker-content-digest'], digest);
    }
    const viaSdk = await fx.client.req('GET', `/v2/team%2Fapp%2Fweb/manifests/v1`);
    assert.deepEqual(viaSdk.body, bytes);
    const record = await fx.store.manifests.get('team/app/web', digest as never);
    assert.equal(record?.architecture, 'amd64');
    assert.equal(record?.os, 'linux');
    assert.equal(record?.configDigest, digestOf(image.config));
  });

  test('push by digest, a sha512 digest, and a digest that does not match', async () => {
    const image = buildImage();
    for (const blob of [image.config, ...image.layers]) await fx.client.pushBlob('bydigest', blob);
    const digest = digestOf(image.manifestBytes);
    assert.equal(await fx.client.pushManifest('bydigest', digest, image.manifestBytes, OCI.manifest), digest);
    const d512 = digestOf(image.manifestBytes, 'sha512');
    assert.equal(await fx.client.pushManifest('bydigest', d512, image.manifestBytes, OCI.manifest), d512);
    assert.deepEqual((await fx.client.req('GET', `/v2/bydigest/manifests/${d512}`)).body, image.manifestBytes);
    assertRegistryError(await fx.client.putManifest('bydigest', digestOf('other'), image.manifestBytes, OCI.manifest), 400, 'DIGEST_INVALID');
    // Pushed by digest only: no tags.
    assert.deepEqual((await fx.client.req('GET', '/v2/bydigest/tags/list')).json().tags, []);
  });

  test('Docker v2 schema 2 manifest and Docker manifest list', async () => {
    const amd = buildImage({ mediaType: 'docker', architecture: 'amd64' });
    const arm = buildImage({ mediaType: 'docker', architecture: 'arm64' });
    for (const img of [amd, arm]) for (const blob of [img.config, ...img.layers]) await fx.client.pushBlob('docker/img', blob);
    const amdDigest = await fx.client.pushManifest('docker/img', digestOf(amd.manifestBytes), amd.manifestBytes, OCI.dockerManifest);
    const armDigest = await fx.client.pushManifest('docker/img', digestOf(arm.manifestBytes), arm.manifestBytes, OCI.dockerManifest);
    const list = {
      schemaVersion: 2,
      mediaType: OCI.dockerList,
      manifests: [
        { ...descriptor(OCI.dockerManifest, amd.manifestBytes), platform: { architecture: 'amd64', os: 'linux' } },
        { ...descriptor(OCI.dockerManifest, arm.manifestBytes), platform: { architecture: 'arm64', os: 'linux' } },
      ],
    };
    const listDigest = await fx.client.pushManifest('docker/img', 'latest', list);
    const get = await fx.client.req('GET', '/v2/docker/img/manifests/latest');
    assert.equal(get.headers['content-type'], OCI.dockerList);
    assert.equal(get.headers['docker-content-digest'], listDigest);
    const record = await fx.store.manifests.get('docker/img', listDigest as never);
    assert.deepEqual(record?.children.map((c) => [c.digest, c.architecture]), [[amdDigest, 'amd64'], [armDigest, 'arm64']]);
  });

  test('nested indexes, manifests without layers, and unknown fields (data, custom) are accepted as is', async () => {
    const cfg = Buffer.from('{}');
    await fx.client.pushBlob('nested', cfg);
    const noLayers = { schemaVersion: 2, mediaType: OCI.manifest, config: { ...descriptor(OCI.empty, cfg), data: cfg.toString('base64') }, layers: [], 'com.example.custom': { x: 1 } };
    const leaf = await fx.client.pushManifest('nested', digestOf(JSON.stringify(noLayers)), noLayers);
    const inner = { schemaVersion: 2, mediaType: OCI.index, manifests: [descriptor(OCI.manifest, JSON.stringify(noLayers))] };
    await fx.client.pushManifest('nested', digestOf(JSON.stringify(inner)), inner);
    const outer = { schemaVersion: 2, mediaType: OCI.index, manifests: [descriptor(OCI.index, JSON.stringify(inner))] };
    const top = await fx.client.pushManifest('nested', 'top', outer);
    assert.equal((await fx.client.req('GET', '/v2/nested/manifests/top')).headers['docker-content-digest'], top);
    assert.deepEqual((await fx.client.req('GET', `/v2/nested/manifests/${leaf}`)).body, Buffer.from(JSON.stringify(noLayers)));
  });

  test('an OCI index whose children are missing is MANIFEST_BLOB_UNKNOWN', async () => {
    const index = { schemaVersion: 2, mediaType: OCI.index, manifests: [descriptor(OCI.manifest, '{"not":"pushed"}')] };
    const res = await fx.client.putManifest('docker/img', 'idx', index);
    assertRegistryError(res, 400, 'MANIFEST_BLOB_UNKNOWN');
    assert.equal(res.json().errors[0].detail.digest, digestOf('{"not":"pushed"}'));
  });

  test('a manifest whose config or layers are missing is MANIFEST_BLOB_UNKNOWN and nothing is recorded', async () => {
    const image = buildImage({ layers: ['present', 'absent'] });
    await fx.client.pushBlob('missing', image.config);
    await fx.client.pushBlob('missing', image.layers[0]!);
    const res = await fx.client.putManifest('missing', 'v1', image.manifestBytes, OCI.manifest);
    assertRegistryError(res, 400, 'MANIFEST_BLOB_UNKNOWN');
    assert.deepEqual(res.json().errors[0].detail.missing, [digestOf('absent')]);
    assertRegistryError(await fx.client.req('GET', '/v2/missing/manifests/v1'), 404, 'MANIFEST_UNKNOWN');
    // A blob in ANOTHER repository does not count.
    await fx.client.pushBlob('elsewhere', image.layers[1]!);
    assertRegistryError(await fx.client.putManifest('missing', 'v1', image.manifestBytes, OCI.manifest), 400, 'MANIFEST_BLOB_UNKNOWN');
  });

  test('oversize, empty, invalid JSON, wrong content type and media-type mismatch are refused', async () => {
    const huge = Buffer.alloc(4 * 1024 * 1024 + 10, 0x20);
    assertRegistryError(await fx.client.putManifest('bad', 'v1', huge, OCI.manifest), 413, 'MANIFEST_INVALID');
    async function* streamed() {
      for (let i = 0; i < 5; i++) yield Buffer.alloc(1024 * 1024, 0x20);
    }
    assertRegistryError(await fx.client.req('PUT', '/v2/bad/manifests/v1', { body: streamed(), headers: { 'content-type': OCI.manifest } }), 413, 'MANIFEST_INVALID');
    assertRegistryError(await fx.client.putManifest('bad', 'v1', '', OCI.manifest), 400, 'MANIFEST_INVALID');
    assertRegistryError(await fx.client.putManifest('bad', 'v1', '{"schemaVersion": 2,', OCI.manifest), 400, 'MANIFEST_INVALID');
    const image = buildImage();
    assertRegistryError(await fx.client.putManifest('bad', 'v1', image.manifestBytes, 'text/plain'), 400, 'MANIFEST_INVALID');
    assertRegistryError(await fx.client.putManifest('bad', 'v1', image.manifestBytes, OCI.dockerManifest), 400, 'MANIFEST_INVALID');
    assertRegistryError(await fx.client.putManifest('bad', 'v1', image.manifestBytes, 'application/vnd.docker.distribution.manifest.v1+prettyjws'), 400, 'MANIFEST_INVALID');
  });

  test('invalid names, tags and digests in the URL', async () => {
    const image = buildImage();
    assertRegistryError(await fx.client.putManifest('Bad', 'v1', image.manifestBytes, OCI.manifest), 400, 'NAME_INVALID');
    assertRegistryError(await fx.client.putManifest('bad', '-tag', image.manifestBytes, OCI.manifest), 400, 'TAG_INVALID');
    assertRegistryError(await fx.client.putManifest('bad', 'a'.repeat(129), image.manifestBytes, OCI.manifest), 400, 'TAG_INVALID');
    assertRegistryError(await fx.client.putManifest('bad', 'sha256:abc', image.manifestBytes, OCI.manifest), 400, 'DIGEST_INVALID');
    // Reads of a reference no manifest can have are 404 MANIFEST_UNKNOWN (OCI conformance);
    // writes and deletes of one stay 400.
    assertRegistryError(await fx.client.req('GET', '/v2/bad/manifests/sha256:abc'), 404, 'MANIFEST_UNKNOWN');
    assertRegistryError(await fx.client.req('GET', '/v2/bad/manifests/.tag'), 404, 'MANIFEST_UNKNOWN');
    assertRegistryError(await fx.client.req('GET', '/v2/bad/manifests/.INVALID_MANIFEST_NAME'), 404, 'MANIFEST_UNKNOWN');
    const head = await fx.client.req('HEAD', '/v2/bad/manifests/.INVALID_MANIFEST_NAME');
    assert.equal(head.status, 404);
    assertRegistryError(await fx.client.req('DELETE', '/v2/bad/manifests/.tag'), 400, 'TAG_INVALID');
    assertRegistryError(await fx.client.req('DELETE', '/v2/bad/manifests/sha256:abc'), 400, 'DIGEST_INVALID');
    assertRegistryError(await fx.client.req('GET', '/v2/bad/manifests/nosuchtag'), 404, 'MANIFEST_UNKNOWN');
    assertRegistryError(await fx.client.req('GET', `/v2/bad/manifests/${digestOf('x')}`), 404, 'MANIFEST_UNKNOWN');
    assert.equal((await fx.client.req('HEAD', '/v2/bad/manifests/nosuchtag')).status, 404);
  });
});

describe('tags, multi-tag push, deletes and lifecycle', () => {
  nodeOnly('a tag moves to a new push; ?tag= adds several tags in one push; lifecycle sees each tag', async () => {
    await recording(async (events) => {
      const one = await fx.client.pushImage('tagging', 'latest');
      const two = await fx.client.pushImage('tagging', 'latest');
      assert.equal((await fx.client.req('GET', '/v2/tagging/manifests/latest')).headers['docker-content-digest'], two.digest);
      const three = buildImage();
      for (const blob of [three.config, ...three.layers]) await fx.client.pushBlob('tagging', blob);
      const digest = digestOf(three.manifestBytes);
      const res = await fx.client.putManifest('tagging', `${digest}?tag=a&tag=b`, three.manifestBytes, OCI.manifest);
      assert.equal(res.status, 201, res.text());
      for (const t of ['a', 'b']) assert.equal((await fx.client.req('HEAD', `/v2/tagging/manifests/${t}`)).headers['docker-content-digest'], digest);
      assertRegistryError(await fx.client.putManifest('tagging', `${digest}?tag=bad..tag!`, three.manifestBytes, OCI.manifest), 400, 'TAG_INVALID');
      assert.deepEqual(events.pushed.map((e) => [e.digest, e.tag, e.created]), [
        [one.digest, 'latest', true],
        [two.digest, 'latest', true],
        [digest, 'a', true],
        [digest, 'b', true],
      ]);
      assert.equal(events.pushed[0]!.repository, 'tagging');
      assert.equal(events.pushed[0]!.request.method, 'PUT');
    });
  });

  nodeOnly('DELETE by tag removes the tag only (no lifecycle event); DELETE by digest removes the manifest and its tags', async () => {
    await recording(async (events) => {
      const img = await fx.client.pushImage('deleting', 'v1');
      await fx.client.pushManifest('deleting', 'v2', img.manifestBytes, OCI.manifest);
      assert.equal((await fx.client.req('DELETE', '/v2/deleting/manifests/v1')).status, 202);
      assertRegistryError(await fx.client.req('GET', '/v2/deleting/manifests/v1'), 404, 'MANIFEST_UNKNOWN');
      assert.equal((await fx.client.req('GET', `/v2/deleting/manifests/${img.digest}`)).status, 200);
      assert.equal(events.deleted.length, 0);
      assertRegistryError(await fx.client.req('DELETE', '/v2/deleting/manifests/v1'), 404, 'MANIFEST_UNKNOWN');

      assert.equal((await fx.client.req('DELETE', `/v2/deleting/manifests/${img.digest}`)).status, 202);
      assertRegistryError(await fx.client.req('GET', `/v2/deleting/manifests/${img.digest}`), 404, 'MANIFEST_UNKNOWN');
      assertRegistryError(await fx.client.req('GET', '/v2/deleting/manifests/v2'), 404, 'MANIFEST_UNKNOWN');
      assert.deepEqual(events.deleted.map((e) => [e.repository, e.digest, e.mediaType]), [['deleting', img.digest, OCI.manifest]]);
      assertRegistryError(await fx.client.req('DELETE', `/v2/deleting/manifests/${img.digest}`), 404, 'MANIFEST_UNKNOWN');
    });
  });

  nodeOnly('a failing lifecycle listener rolls the push back: nothing is recorded', async () => {
    const original = fx.server!.services.lifecycle;
    fx.server!.services.lifecycle = { ...original, pushed: async () => { throw new Error('listener failed'); } };
    try {
      const image = buildImage();
      for (const blob of [image.config, ...image.layers]) await fx.client.pushBlob('rollback', blob);
      assertRegistryError(await fx.client.putManifest('rollback', 'v1', image.manifestBytes, OCI.manifest), 500, 'UNKNOWN');
    } finally {
      fx.server!.services.lifecycle = original;
    }
    assertRegistryError(await fx.client.req('GET', '/v2/rollback/manifests/v1'), 404, 'MANIFEST_UNKNOWN');
  });
});

describe('changeable attributes', () => {
  nodeOnly('writeEnabled=false on a tag refuses overwriting it; on a manifest refuses re-tagging it', async () => {
    const store = fx.server!.services.store;
    const locked = await fx.client.pushImage('attrs', 'stable');
    await store.tags.updateAttributes('attrs', 'stable', { writeEnabled: false });
    const next = buildImage();
    for (const blob of [next.config, ...next.layers]) await fx.client.pushBlob('attrs', blob);
    assertRegistryError(await fx.client.putManifest('attrs', 'stable', next.manifestBytes, OCI.manifest), 403, 'DENIED');
    assert.equal((await fx.client.req('HEAD', '/v2/attrs/manifests/stable')).headers['docker-content-digest'], locked.digest);
    assert.equal((await fx.client.putManifest('attrs', 'other', next.manifestBytes, OCI.manifest)).status, 201);

    await store.manifests.updateAttributes('attrs', locked.digest as never, { writeEnabled: false });
    assertRegistryError(await fx.client.putManifest('attrs', 'new-tag', locked.manifestBytes, OCI.manifest), 403, 'DENIED');
  });

  nodeOnly('deleteEnabled=false refuses deletes; readEnabled=false refuses pulls; the repository attributes apply too', async () => {
    const store = fx.server!.services.store;
    const img = await fx.client.pushImage('attrs2', 'v1');
    await store.manifests.updateAttributes('attrs2', img.digest as never, { deleteEnabled: false });
    assertRegistryError(await fx.client.req('DELETE', `/v2/attrs2/manifests/${img.digest}`), 403, 'DENIED');
    await store.tags.updateAttributes('attrs2', 'v1', { deleteEnabled: false });
    assertRegistryError(await fx.client.req('DELETE', '/v2/attrs2/manifests/v1'), 403, 'DENIED');
    await store.manifests.updateAttributes('attrs2', img.digest as never, { readEnabled: false });
    assertRegistryError(await fx.client.req('GET', '/v2/attrs2/manifests/v1'), 403, 'DENIED');
    assertRegistryError(await fx.client.req('GET', `/v2/attrs2/manifests/${img.digest}`), 403, 'DENIED');
    await store.manifests.updateAttributes('attrs2', img.digest as never, { readEnabled: true, deleteEnabled: true });
    assert.equal((await fx.client.req('GET', '/v2/attrs2/manifests/v1')).status, 200);

    await store.repositories.updateAttributes('attrs2', { writeEnabled: false });
    assertRegistryError(await fx.client.putManifest('attrs2', 'v9', img.manifestBytes, OCI.manifest), 403, 'DENIED');
    assertRegistryError(await fx.client.req('POST', '/v2/attrs2/blobs/uploads/'), 403, 'DENIED');
    await store.repositories.updateAttributes('attrs2', { writeEnabled: true, readEnabled: false });
    assertRegistryError(await fx.client.req('GET', '/v2/attrs2/manifests/v1'), 403, 'DENIED');
  });
});

describe('the gate decides every manifest read', () => {
  nodeOnly('GET and HEAD by tag and digest ask checkManifestRead with the right via and method', async () => {
    const img = await fx.client.pushImage('gated', 'v1');
    const calls: string[] = [];
    const gate = fx.server!.services.gate;
    fx.server!.services.gate = {
      ...gate,
      checkManifestRead: async (_access, record, via, method) => {
        calls.push(`${method} ${via} ${record.digest === img.digest}`);
        const { registryError } = await import('../../src/errors/registry-error.ts');
        throw via === 'tag' ? registryError('MANIFEST_UNKNOWN') : registryError('IMAGE_QUARANTINED');
      },
    };
    try {
      assertRegistryError(await fx.client.req('GET', '/v2/gated/manifests/v1'), 404, 'MANIFEST_UNKNOWN');
      assertRegistryError(await fx.client.req('GET', `/v2/gated/manifests/${img.digest}`), 403, 'IMAGE_QUARANTINED');
      assert.equal((await fx.client.req('HEAD', `/v2/gated/manifests/${img.digest}`)).status, 403);
      assert.deepEqual(calls, ['GET tag true', 'GET digest true', 'HEAD digest true']);
    } finally {
      fx.server!.services.gate = gate;
    }
  });
});
}
