/** Content discovery: tags list, catalog and referrers, with pagination and filters. */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OCI, buildImage, descriptor, digestOf, assertRegistryError, type ConformanceFixture } from '../helpers/registry-client.ts';

/**
 * `fx`: where the requests go (one node, or the HAProxy cluster). `inProcess`: whether `fx.server`
 * is there; tests that swap its gate or lifecycle, change attributes behind its back or run its
 * janitor are registered only then (`nodeOnly`), and the single-node run covers them.
 */
export function distributionDiscoverySuite(fx: ConformanceFixture, inProcess: boolean): void {
const nodeOnly: typeof test = inProcess ? test : ((() => undefined) as unknown as typeof test);

/** Follows Link headers from `path`; returns the pages. */
async function allPages(path: string, key: 'tags' | 'repositories'): Promise<string[][]> {
  const pages: string[][] = [];
  let next: string | undefined = path;
  while (next) {
    const res = await fx.client.req('GET', next);
    assert.equal(res.status, 200, res.text());
    pages.push(res.json()[key]);
    const link = res.headers.link as string | undefined;
    next = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1] : undefined;
    if (next) assert.ok(next.startsWith('/v2/'), 'Link is path-absolute');
  }
  return pages;
}

describe('tags list', () => {
  const tags = ['1.0', '1.1', '2.0', 'Latest', 'alpha', 'beta', 'latest'];
  before(async () => {
    const img = await fx.client.pushImage('team/app/listed', tags[0]!);
    for (const t of tags.slice(1)) await fx.client.pushManifest('team/app/listed', t, img.manifestBytes, OCI.manifest);
  });

  test('lists every tag in lexical (ASCII) order', async () => {
    const res = await fx.client.req('GET', '/v2/team/app/listed/tags/list');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { name: 'team/app/listed', tags: [...tags].sort() });
    assert.equal(res.headers.link, undefined);
    assert.deepEqual((await fx.client.req('GET', '/v2/team%2Fapp%2Flisted/tags/list')).json().tags, [...tags].sort());
  });

  test('n/last paginate with a Link header, and the pages add up', async () => {
    const first = await fx.client.req('GET', '/v2/team/app/listed/tags/list?n=3');
    assert.deepEqual(first.json().tags, ['1.0', '1.1', '2.0']);
    assert.equal(first.headers.link, '</v2/team/app/listed/tags/list?n=3&last=2.0>; rel="next"');
    const pages = await allPages('/v2/team/app/listed/tags/list?n=3', 'tags');
    assert.deepEqual(pages, [['1.0', '1.1', '2.0'], ['Latest', 'alpha', 'beta'], ['latest']]);
    assert.deepEqual((await fx.client.req('GET', '/v2/team/app/listed/tags/list?last=alpha')).json().tags, ['beta', 'latest']);
    const exact = await fx.client.req('GET', '/v2/team/app/listed/tags/list?n=7');
    assert.equal(exact.json().tags.length, 7);
    assert.equal(exact.headers.link, undefined, 'no Link when nothing follows');
  });

  test('n=0 is an empty list without Link; a bad n is PAGINATION_NUMBER_INVALID', async () => {
    const res = await fx.client.req('GET', '/v2/team/app/listed/tags/list?n=0');
    assert.deepEqual(res.json().tags, []);
    assert.equal(res.headers.link, undefined);
    assertRegistryError(await fx.client.req('GET', '/v2/team/app/listed/tags/list?n=-1'), 400, 'PAGINATION_NUMBER_INVALID');
    assertRegistryError(await fx.client.req('GET', '/v2/team/app/listed/tags/list?n=abc'), 400, 'PAGINATION_NUMBER_INVALID');
  });

  test('an unknown repository is NAME_UNKNOWN; a bad name is NAME_INVALID', async () => {
    assertRegistryError(await fx.client.req('GET', '/v2/no/such/repo/tags/list'), 404, 'NAME_UNKNOWN');
    assertRegistryError(await fx.client.req('GET', '/v2/No/tags/list'), 400, 'NAME_INVALID');
  });

  nodeOnly('tags with listEnabled=false (or whose manifest has it) are left out, and pages stay full', async () => {
    const store = fx.server!.services.store;
    await store.tags.updateAttributes('team/app/listed', '1.1', { listEnabled: false });
    try {
      const res = await fx.client.req('GET', '/v2/team/app/listed/tags/list?n=3');
      assert.deepEqual(res.json().tags, ['1.0', '2.0', 'Latest']);
      assert.deepEqual((await allPages('/v2/team/app/listed/tags/list?n=2', 'tags')).flat(), ['1.0', '2.0', 'Latest', 'alpha', 'beta', 'latest']);
    } finally {
      await store.tags.updateAttributes('team/app/listed', '1.1', { listEnabled: true });
    }
    const img = await fx.client.pushImage('hidden/manifest', 'shown');
    const other = await fx.client.pushImage('hidden/manifest', 'hidden');
    await store.manifests.updateAttributes('hidden/manifest', other.digest as never, { listEnabled: false });
    assert.deepEqual((await fx.client.req('GET', '/v2/hidden/manifest/tags/list')).json().tags, ['shown']);
    assert.ok(img.digest);
  });

  nodeOnly('the gate filters the list', async () => {
    const gate = fx.server!.services.gate;
    fx.server!.services.gate = { ...gate, visibleTags: async (_a, _r, list) => list.filter((t) => t.name.startsWith('1.')) };
    try {
      assert.deepEqual((await fx.client.req('GET', '/v2/team/app/listed/tags/list')).json().tags, ['1.0', '1.1']);
    } finally {
      fx.server!.services.gate = gate;
    }
  });
});

describe('catalog', () => {
  nodeOnly('lists repositories in order with n/last pagination, filtered by listEnabled and the gate', async () => {
    for (const name of ['cat/a', 'cat/b', 'cat/c', 'cat/d']) await fx.client.pushBlob(name, `blob of ${name}`);
    const all = (await fx.client.req('GET', '/v2/_catalog')).json().repositories as string[];
    assert.deepEqual(all, [...all].sort());
    for (const name of ['cat/a', 'cat/b', 'cat/c', 'cat/d', 'team/app/listed']) assert.ok(all.includes(name), name);
    const pages = await allPages('/v2/_catalog?n=2', 'repositories');
    assert.ok(pages.every((p) => p.length <= 2));
    assert.deepEqual(pages.flat(), all);
    const first = await fx.client.req('GET', '/v2/_catalog?n=2');
    assert.match(first.headers.link as string, /^<\/v2\/_catalog\?n=2&last=[^>]+>; rel="next"$/);
    assertRegistryError(await fx.client.req('GET', '/v2/_catalog?n=x'), 400, 'PAGINATION_NUMBER_INVALID');

    await fx.store.repositories.updateAttributes('cat/b', { listEnabled: false });
    const gate = fx.server!.services.gate;
    fx.server!.services.gate = { ...gate, visibleRepositories: async (_a, names) => names.filter((n) => n !== 'cat/c') };
    try {
      const filtered = (await fx.client.req('GET', '/v2/_catalog?last=cat/0&n=2')).json().repositories;
      assert.deepEqual(filtered, ['cat/a', 'cat/d']);
    } finally {
      fx.server!.services.gate = gate;
    }
  });
});

describe('referrers', () => {
  let subject: { mediaType: string; digest: string; size: number };
  let sbom: string;
  let sbomSize: number;
  let signature: string;
  let indexReferrer: string;
  before(async () => {
    const img = await fx.client.pushImage('refs/app', 'v1');
    subject = descriptor(OCI.manifest, img.manifestBytes);
    const emptyConfig = Buffer.from('{}');
    await fx.client.pushBlob('refs/app', emptyConfig);
    // An artifact with artifactType and annotations; pushing it answers OCI-Subject.
    const sbomManifest = {
      schemaVersion: 2,
      mediaType: OCI.manifest,
      artifactType: 'application/vnd.example.sbom.v1',
      config: descriptor(OCI.empty, emptyConfig),
      layers: [descriptor(OCI.empty, emptyConfig)],
      subject,
      annotations: { 'org.example.format': 'json' },
    };
    const res = await fx.client.putManifest('refs/app', digestOf(JSON.stringify(sbomManifest)), sbomManifest);
    assert.equal(res.status, 201, res.text());
    assert.equal(res.headers['oci-subject'], subject.digest);
    sbom = res.headers['docker-content-digest'] as string;
    sbomSize = Buffer.byteLength(JSON.stringify(sbomManifest));
    // An image-style referrer without artifactType: its config media type stands in.
    const sigConfig = Buffer.from('{"sig":true}');
    await fx.client.pushBlob('refs/app', sigConfig);
    const sig = { schemaVersion: 2, mediaType: OCI.manifest, config: descriptor('application/vnd.example.signature.v1', sigConfig), layers: [], subject };
    signature = await fx.client.pushManifest('refs/app', digestOf(JSON.stringify(sig)), sig);
    // An index referrer without artifactType: no artifactType in its descriptor.
    const idx = { schemaVersion: 2, mediaType: OCI.index, manifests: [], subject };
    indexReferrer = await fx.client.pushManifest('refs/app', digestOf(JSON.stringify(idx)), idx);
  });

  test('lists every referrer as an OCI index with artifactType and annotations', async () => {
    const res = await fx.client.req('GET', `/v2/refs/app/referrers/${subject.digest}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], OCI.index);
    assert.equal(res.headers['oci-filters-applied'], undefined);
    const body = res.json();
    assert.equal(body.schemaVersion, 2);
    assert.equal(body.mediaType, OCI.index);
    const byDigest = new Map(body.manifests.map((m: any) => [m.digest, m]));
    assert.equal(byDigest.size, 3);
    assert.deepEqual(byDigest.get(sbom), {
      mediaType: OCI.manifest,
      digest: sbom,
      size: sbomSize,
      artifactType: 'application/vnd.example.sbom.v1',
      annotations: { 'org.example.format': 'json' },
    });
    assert.equal((byDigest.get(signature) as any).artifactType, 'application/vnd.example.signature.v1');
    assert.equal((byDigest.get(indexReferrer) as any).artifactType, undefined);
    assert.equal((byDigest.get(indexReferrer) as any).mediaType, OCI.index);
  });

  test('artifactType filters and says so with OCI-Filters-Applied', async () => {
    const res = await fx.client.req('GET', `/v2/refs/app/referrers/${subject.digest}?artifactType=application/vnd.example.sbom.v1`);
    assert.equal(res.headers['oci-filters-applied'], 'artifactType');
    assert.deepEqual(res.json().manifests.map((m: any) => m.digest), [sbom]);
    const none = await fx.client.req('GET', `/v2/refs/app/referrers/${subject.digest}?artifactType=application/x-none`);
    assert.deepEqual(none.json().manifests, []);
  });

  test('a subject with no referrers, or an unknown repository, gives an empty index (never 404)', async () => {
    for (const path of [`/v2/refs/app/referrers/${digestOf('nothing')}`, `/v2/no/such/repo/referrers/${subject.digest}`]) {
      const res = await fx.client.req('GET', path);
      assert.equal(res.status, 200);
      assert.deepEqual(res.json(), { schemaVersion: 2, mediaType: OCI.index, manifests: [] });
    }
  });

  test('a referrer may be pushed before its subject exists', async () => {
    const cfg = Buffer.from('{}');
    await fx.client.pushBlob('refs/early', cfg);
    const future = descriptor(OCI.manifest, '{"future":1}');
    const early = { schemaVersion: 2, mediaType: OCI.manifest, artifactType: 'application/x.early', config: descriptor(OCI.empty, cfg), layers: [], subject: future };
    const digest = await fx.client.pushManifest('refs/early', digestOf(JSON.stringify(early)), early);
    assert.deepEqual((await fx.client.req('GET', `/v2/refs/early/referrers/${future.digest}`)).json().manifests.map((m: any) => m.digest), [digest]);
  });

  nodeOnly('a bad digest is 400 DIGEST_INVALID; the gate filters referrers; deleted referrers disappear', async () => {
    assertRegistryError(await fx.client.req('GET', '/v2/refs/app/referrers/sha256:bad'), 400, 'DIGEST_INVALID');
    const gate = fx.server!.services.gate;
    fx.server!.services.gate = { ...gate, visibleManifests: async (_a, _r, list) => list.filter((m) => m.digest === signature) };
    try {
      assert.deepEqual((await fx.client.req('GET', `/v2/refs/app/referrers/${subject.digest}`)).json().manifests.map((m: any) => m.digest), [signature]);
    } finally {
      fx.server!.services.gate = gate;
    }
    assert.equal((await fx.client.req('DELETE', `/v2/refs/app/manifests/${signature}`)).status, 202);
    const left = (await fx.client.req('GET', `/v2/refs/app/referrers/${subject.digest}`)).json().manifests.map((m: any) => m.digest);
    assert.deepEqual(left.sort(), [sbom, indexReferrer].sort());
  });
});

test('buildImage helper gives distinct images', () => {
  assert.notEqual(digestOf(buildImage().manifestBytes), digestOf(buildImage().manifestBytes));
});
}
