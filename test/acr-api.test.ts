/**
 * /acr/v1 over real HTTP with `auth.mode: none` (shapes, paging, encoding, bad input). Who may
 * do what is covered by test/leak-matrix.test.ts and test/quarantine-walkthrough.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { call, pushImage, pushIndex, type PushedImage } from './helpers/quarantine-fixtures.ts';

const ACR_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/;

describe('/acr/v1 (auth none)', () => {
  let s: TestServer;
  let u: string;
  let amd: PushedImage;
  let arm: PushedImage;
  let index: string;
  let other: PushedImage;

  before(async () => {
    s = await startTestServer({ 'auth.mode': 'none' });
    u = s.url;
  });
  after(() => s.close());

  test('an empty catalog is {"repositories": null}', async () => {
    const r = await call(u, 'GET', '/acr/v1/_catalog');
    assert.equal(r.status, 200);
    assert.equal(r.text, '{"repositories":null}');
  });

  test('push fixtures', async () => {
    amd = await pushImage(u, 'team/app', { seed: 'amd', tag: '1', architecture: 'amd64' });
    arm = await pushImage(u, 'team/app', { seed: 'arm', architecture: 'arm64' });
    index = await pushIndex(u, 'team/app', [
      { digest: amd.digest, size: amd.size, architecture: 'amd64', os: 'linux' },
      { digest: arm.digest, size: arm.size, architecture: 'arm64', os: 'linux' },
    ], 'multi');
    await pushImage(u, 'team/app', { seed: 'amd2', tag: '2' });
    other = await pushImage(u, 'other', { seed: 'o', tag: 'latest' });
  });

  test('catalog pages with ACR Link headers', async () => {
    const first = await call(u, 'GET', '/acr/v1/_catalog?n=1');
    assert.deepEqual(first.body, { repositories: ['other'] });
    assert.equal(first.headers.link, '</acr/v1/_catalog?last=other&n=1&orderby=>; rel="next"');
    const link = /^<([^>]+)>/.exec(first.headers.link as string)![1]!;
    const second = await call(u, 'GET', link);
    assert.deepEqual(second.body, { repositories: ['team/app'] });
    assert.equal(second.headers.link, undefined);
    assert.equal((await call(u, 'GET', '/acr/v1/_catalog?n=x')).status, 400);
  });

  test('repository attributes, with %2F in the name', async () => {
    for (const path of ['/acr/v1/team/app', '/acr/v1/team%2Fapp']) {
      const r = await call(u, 'GET', path);
      assert.equal(r.status, 200, path);
      assert.equal(r.body.imageName, 'team/app');
      assert.equal(r.body.registry, new URL(u).host);
      assert.match(r.body.createdTime, ACR_TIME);
      assert.match(r.body.lastUpdateTime, ACR_TIME);
      assert.equal(r.body.manifestCount, 4);
      assert.equal(r.body.tagCount, 3);
      assert.deepEqual(r.body.changeableAttributes, { deleteEnabled: true, writeEnabled: true, listEnabled: true, readEnabled: true });
    }
    const missing = await call(u, 'GET', '/acr/v1/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.errors[0].code, 'NAME_UNKNOWN');
  });

  test('tags: list, digest filter, paging, orderby, one tag', async () => {
    const all = await call(u, 'GET', '/acr/v1/team%2Fapp/_tags');
    assert.equal(all.status, 200);
    assert.equal(all.body.imageName, 'team/app');
    assert.deepEqual(all.body.tags.map((t: any) => t.name), ['1', '2', 'multi']);
    const t1 = all.body.tags[0];
    assert.deepEqual(Object.keys(t1).sort(), ['changeableAttributes', 'createdTime', 'digest', 'lastUpdateTime', 'name', 'signed']);
    assert.equal(t1.digest, amd.digest);
    assert.match(t1.createdTime, ACR_TIME);
    const byDigest = await call(u, 'GET', `/acr/v1/team%2Fapp/_tags?digest=${encodeURIComponent(index)}`);
    assert.deepEqual(byDigest.body.tags.map((t: any) => t.name), ['multi']);
    const page = await call(u, 'GET', '/acr/v1/team%2Fapp/_tags?n=2&orderby=timedesc');
    assert.deepEqual(page.body.tags.map((t: any) => t.name), ['2', 'multi']);
    assert.equal(page.headers.link, '</acr/v1/team%2Fapp/_tags?last=multi&n=2&orderby=timedesc>; rel="next"');
    const rest = await call(u, 'GET', /^<([^>]+)>/.exec(page.headers.link as string)![1]!);
    assert.deepEqual(rest.body.tags.map((t: any) => t.name), ['1']);
    assert.equal(rest.headers.link, undefined);
    const one = await call(u, 'GET', '/acr/v1/team%2Fapp/_tags/multi');
    assert.equal(one.status, 200);
    assert.equal(one.body.tag.name, 'multi');
    assert.equal(one.body.tag.digest, index);
    assert.equal((await call(u, 'GET', '/acr/v1/team%2Fapp/_tags?orderby=sideways')).status, 400);
    const nope = await call(u, 'GET', '/acr/v1/team%2Fapp/_tags/nope');
    assert.equal(nope.status, 404);
    assert.equal(nope.body.errors[0].code, 'MANIFEST_UNKNOWN');
    assert.equal(nope.body.errors[0].message, 'manifest tagged by "nope" is not found');
  });

  test('manifests: list and one, with references, platform, configMediaType, %3A digests', async () => {
    const list = await call(u, 'GET', '/acr/v1/team%2Fapp/_manifests');
    assert.equal(list.status, 200);
    assert.equal(list.body.manifests.length, 4);
    const r = await call(u, 'GET', `/acr/v1/team%2Fapp/_manifests/${index.replace(':', '%3A')}`);
    assert.equal(r.status, 200);
    const m = r.body.manifest;
    assert.equal(m.digest, index);
    assert.equal(m.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.deepEqual(m.references, [
      { digest: amd.digest, architecture: 'amd64', os: 'linux' },
      { digest: arm.digest, architecture: 'arm64', os: 'linux' },
    ]);
    assert.deepEqual(m.tags, ['multi']);
    assert.match(m.createdTime, ACR_TIME);
    const img = (await call(u, 'GET', `/acr/v1/team/app/_manifests/${arm.digest}`)).body.manifest;
    assert.equal(img.architecture, 'arm64');
    assert.equal(img.os, 'linux');
    assert.equal(img.configMediaType, 'application/vnd.oci.image.config.v1+json');
    assert.equal(img.references, undefined);
    assert.deepEqual(img.tags, []);
    assert.ok(img.imageSize > arm.size);
    assert.deepEqual(img.changeableAttributes, { deleteEnabled: true, writeEnabled: true, readEnabled: true, listEnabled: true });
    const paged = await call(u, 'GET', '/acr/v1/team%2Fapp/_manifests?n=3');
    assert.equal(paged.body.manifests.length, 3);
    assert.match(paged.headers.link as string, /^<\/acr\/v1\/team%2Fapp\/_manifests\?last=sha256%3A[0-9a-f]{64}&n=3&orderby=>; rel="next"$/);
  });

  test('a PATCH without quarantine fields leaves the verdict unchanged and echoes it', async () => {
    const details = '{"state":"scan passed","link":"http://test.io/test"}';
    await s.services.store.verdicts.set({ repository: 'team/app', digest: amd.digest as any, state: 'Passed', details, updatedBy: 'scanner' });
    const r = await call(u, 'PATCH', `/acr/v1/team%2Fapp/_manifests/${encodeURIComponent(amd.digest)}`, { body: { writeEnabled: false, readEnabled: true } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.manifest.changeableAttributes, { deleteEnabled: true, writeEnabled: false, readEnabled: true, listEnabled: true, quarantineState: 'Passed', quarantineDetails: details });
    const tag = await call(u, 'GET', '/acr/v1/team/app/_tags/1');
    assert.equal(tag.body.tag.quarantineState, 'Passed');
    assert.equal((await s.services.store.verdicts.get('team/app', amd.digest as any))?.updatedBy, 'scanner');
  });

  test('bad input: verdicts, details, attributes, digests, other repositories, missing role', async () => {
    const path = `/acr/v1/team/app/_manifests/${arm.digest}`;
    const bad = async (body: unknown, field: string, text: RegExp) => {
      const r = await call(u, 'PATCH', path, { body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.errors[0].code, 'BAD_REQUEST');
      assert.match(r.body.errors[0].message, text);
      assert.equal(r.body.errors[0].detail.field, field);
    };
    await bad({ quarantineState: 'Clean' }, 'quarantineState', /quarantineState must be one of Quarantined, Passed, Failed/);
    await bad({ quarantineState: 'passed' }, 'quarantineState', /got "passed"/);
    await bad({ quarantineState: 'Passed', quarantineDetails: '{not json' }, 'quarantineDetails', /quarantineDetails must be a string holding JSON/);
    await bad({ quarantineState: 'Passed', quarantineDetails: { state: 'x' } }, 'quarantineDetails', /must be a string/);
    await bad({ quarantineState: 'Passed', quarantineDetails: '{"result":{"version":"1","summary":[{"severity":"Huge"}]}}' }, 'quarantineDetails.result.summary[0].severity', /severity must be one of/);
    await bad({ quarantineState: 'Passed', quarantineDetails: '{"colour":"red"}' }, 'quarantineDetails.colour', /not allowed/);
    await bad({ readEnabled: 'no' }, 'readEnabled', /readEnabled must be true or false/);
    const notJson = await call(u, 'PATCH', path, { body: '{', headers: { 'content-type': 'application/json' } });
    assert.equal(notJson.status, 400);
    // auth.mode none grants no quarantine write: a well-formed verdict is refused, nothing changes.
    const denied = await call(u, 'PATCH', path, { body: { quarantineState: 'Passed' } });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.errors[0].code, 'DENIED');
    assert.match(denied.body.errors[0].message, /quarantine write/);
    assert.equal(await s.services.store.verdicts.get('team/app', arm.digest as any), undefined);
    // Unknown digest, malformed digest, and another repository's manifest.
    const unknown = await call(u, 'PATCH', `/acr/v1/team/app/_manifests/sha256:${'0'.repeat(64)}`, { body: { readEnabled: true } });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.errors[0].code, 'MANIFEST_UNKNOWN');
    assert.equal((await call(u, 'GET', '/acr/v1/team/app/_manifests/sha256:xyz')).status, 400);
    const elsewhere = await call(u, 'PATCH', `/acr/v1/team/app/_manifests/${other.digest}`, { body: { readEnabled: false } });
    assert.equal(elsewhere.status, 404);
    assert.equal((await call(u, 'GET', `/acr/v1/other/_manifests/${other.digest}`)).body.manifest.changeableAttributes.readEnabled, true);
  });

  test('tag PATCH and DELETE, repository PATCH and DELETE', async () => {
    const p = await call(u, 'PATCH', '/acr/v1/team/app/_tags/2', { body: { listEnabled: false } });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.body.tag.changeableAttributes.listEnabled, false);
    assert.deepEqual((await call(u, 'GET', '/acr/v1/team/app/_tags')).body.tags.map((t: any) => t.name), ['1', 'multi']);
    assert.equal((await call(u, 'DELETE', '/acr/v1/team/app/_tags/2')).status, 202);
    assert.equal((await call(u, 'GET', '/acr/v1/team/app/_tags/2')).status, 404);
    assert.equal((await call(u, 'DELETE', '/acr/v1/team/app/_tags/2')).status, 404);
    const locked = await call(u, 'PATCH', '/acr/v1/other', { body: { deleteEnabled: false } });
    assert.equal(locked.body.changeableAttributes.deleteEnabled, false);
    const refused = await call(u, 'DELETE', '/acr/v1/other');
    assert.equal(refused.status, 403);
    await call(u, 'PATCH', '/acr/v1/other', { body: { deleteEnabled: true } });
    const del = await call(u, 'DELETE', '/acr/v1/other');
    assert.equal(del.status, 202);
    assert.deepEqual(del.body, { manifestsDeleted: [other.digest], tagsDeleted: ['latest'] });
    assert.equal((await call(u, 'GET', '/acr/v1/other')).status, 404);
    assert.equal((await call(u, 'DELETE', '/acr/v1/other')).status, 404);
  });
});
