import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryError } from '../errors/registry-error.ts';
import { digestOf } from './digest.ts';
import { MEDIA_TYPES } from './media-types.ts';
import { effectiveArtifactType, parseManifest, readImagePlatform, referencedBlobs, requiredBlobs } from './manifest.ts';

const d = (s: string) => digestOf(s);
const desc = (mediaType: string, s: string, extra: object = {}) => ({ mediaType, digest: d(s), size: s.length, ...extra });
const bytes = (o: unknown) => Buffer.from(JSON.stringify(o));
const image = (extra: object = {}) => ({
  schemaVersion: 2,
  mediaType: MEDIA_TYPES.ociManifest,
  config: desc(MEDIA_TYPES.ociConfig, 'config'),
  layers: [desc('application/vnd.oci.image.layer.v1.tar+gzip', 'l1'), desc('application/vnd.oci.image.layer.v1.tar+gzip', 'l2')],
  ...extra,
});

function invalid(fn: () => unknown, pattern: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof RegistryError);
    assert.equal(err.code, 'MANIFEST_INVALID');
    assert.match(err.message, pattern);
    return true;
  });
}

test('an OCI image manifest: config, layers, subject, artifactType, annotations', () => {
  const m = parseManifest(
    bytes(image({ artifactType: 'application/x.sbom', subject: desc(MEDIA_TYPES.ociManifest, 'subj'), annotations: { a: 'b' } })),
    MEDIA_TYPES.ociManifest,
  );
  assert.equal(m.kind, 'image');
  assert.equal(m.mediaType, MEDIA_TYPES.ociManifest);
  assert.equal(m.config?.digest, d('config'));
  assert.deepEqual(m.layers.map((l) => l.digest), [d('l1'), d('l2')]);
  assert.equal(m.subject?.digest, d('subj'));
  assert.equal(m.artifactType, 'application/x.sbom');
  assert.deepEqual(m.annotations, { a: 'b' });
  assert.deepEqual(requiredBlobs(m), [d('config'), d('l1'), d('l2')]);
});

test('an OCI index and a Docker manifest list: children with platforms', () => {
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociIndex,
    manifests: [
      desc(MEDIA_TYPES.ociManifest, 'amd', { platform: { architecture: 'amd64', os: 'linux' } }),
      desc(MEDIA_TYPES.ociManifest, 'arm', { platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } }),
    ],
  };
  const m = parseManifest(bytes(index), MEDIA_TYPES.ociIndex);
  assert.equal(m.kind, 'index');
  assert.deepEqual(m.manifests.map((c) => c.platform?.architecture), ['amd64', 'arm64']);
  assert.deepEqual(requiredBlobs(m), []);
  const list = parseManifest(bytes({ ...index, mediaType: MEDIA_TYPES.dockerManifestList }), MEDIA_TYPES.dockerManifestList);
  assert.equal(list.kind, 'index');
});

test('a Docker v2 schema 2 manifest', () => {
  const m = parseManifest(
    bytes({ schemaVersion: 2, mediaType: MEDIA_TYPES.dockerManifest, config: desc(MEDIA_TYPES.dockerConfig, 'c'), layers: [desc('application/vnd.docker.image.rootfs.diff.tar.gzip', 'l')] }),
    `${MEDIA_TYPES.dockerManifest}; charset=utf-8`,
  );
  assert.equal(m.mediaType, MEDIA_TYPES.dockerManifest);
  assert.equal(m.config?.mediaType, MEDIA_TYPES.dockerConfig);
});

test('media type: body mediaType when Content-Type is missing or generic; shape when both are absent', () => {
  assert.equal(parseManifest(bytes(image()), undefined).mediaType, MEDIA_TYPES.ociManifest);
  assert.equal(parseManifest(bytes(image()), 'application/json').mediaType, MEDIA_TYPES.ociManifest);
  const { mediaType: _, ...bare } = image();
  assert.equal(parseManifest(bytes(bare), undefined).mediaType, MEDIA_TYPES.ociManifest);
  assert.equal(parseManifest(bytes({ schemaVersion: 2, manifests: [] }), undefined).mediaType, MEDIA_TYPES.ociIndex);
  assert.equal(parseManifest(bytes(bare), MEDIA_TYPES.ociManifest).mediaType, MEDIA_TYPES.ociManifest);
});

test('failures are MANIFEST_INVALID naming the problem', () => {
  invalid(() => parseManifest(Buffer.from('{not json'), MEDIA_TYPES.ociManifest), /not valid JSON/);
  invalid(() => parseManifest(Buffer.from('[]'), MEDIA_TYPES.ociManifest), /JSON object/);
  invalid(() => parseManifest(bytes(image({ schemaVersion: 1 })), MEDIA_TYPES.ociManifest), /schemaVersion/);
  invalid(() => parseManifest(bytes(image()), MEDIA_TYPES.dockerManifest), /does not match/);
  invalid(() => parseManifest(bytes(image()), 'text/plain'), /unsupported manifest media type/);
  invalid(() => parseManifest(bytes(image()), 'application/vnd.docker.distribution.manifest.v1+prettyjws'), /unsupported/);
  invalid(() => parseManifest(bytes(image({ mediaType: 'application/x-nope' })), undefined), /unsupported/);
  invalid(() => parseManifest(bytes(image({ config: undefined })), MEDIA_TYPES.ociManifest), /config must be a descriptor/);
  invalid(() => parseManifest(bytes(image({ layers: undefined })), MEDIA_TYPES.ociManifest), /layers must be an array/);
  invalid(() => parseManifest(bytes(image({ layers: [{ mediaType: 'x', digest: 'sha256:abc', size: 1 }] })), MEDIA_TYPES.ociManifest), /layers\[0\]\.digest/);
  invalid(() => parseManifest(bytes(image({ layers: [{ ...desc('x', 'l'), size: -1 }] })), MEDIA_TYPES.ociManifest), /layers\[0\]\.size/);
  invalid(() => parseManifest(bytes(image({ layers: [{ digest: d('l'), size: 1 }] })), MEDIA_TYPES.ociManifest), /layers\[0\]\.mediaType/);
  invalid(() => parseManifest(bytes(image({ annotations: { a: 1 } })), MEDIA_TYPES.ociManifest), /annotations/);
  invalid(() => parseManifest(bytes(image({ subject: { mediaType: 'x' } })), MEDIA_TYPES.ociManifest), /subject\.digest/);
  invalid(() => parseManifest(bytes({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex }), MEDIA_TYPES.ociIndex), /manifests must be an array/);
  invalid(() => parseManifest(bytes({ schemaVersion: 2 }), undefined), /cannot tell/);
});

test('foreign and non-distributable layers are referenced but not required', () => {
  const m = parseManifest(
    bytes(image({ layers: [desc('application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', 'win'), desc('application/vnd.oci.image.layer.v1.tar', 'ext', { urls: ['https://example.com/x'] }), desc('application/vnd.oci.image.layer.v1.tar', 'own')] })),
    MEDIA_TYPES.ociManifest,
  );
  assert.deepEqual(requiredBlobs(m), [d('config'), d('own')]);
  assert.deepEqual(referencedBlobs(m), [d('config'), d('win'), d('ext'), d('own')]);
});

test('effectiveArtifactType: own, else config media type, none for indexes', () => {
  assert.equal(effectiveArtifactType({ mediaType: MEDIA_TYPES.ociManifest, artifactType: 'a/b', configMediaType: 'c/d' }), 'a/b');
  assert.equal(effectiveArtifactType({ mediaType: MEDIA_TYPES.ociManifest, configMediaType: 'c/d' }), 'c/d');
  assert.equal(effectiveArtifactType({ mediaType: MEDIA_TYPES.ociIndex }), undefined);
  assert.equal(effectiveArtifactType({ mediaType: MEDIA_TYPES.ociIndex, artifactType: 'x/y' }), 'x/y');
});

test('readImagePlatform reads architecture/os and never throws', () => {
  assert.deepEqual(readImagePlatform(bytes({ architecture: 'arm64', os: 'linux', rootfs: {} })), { architecture: 'arm64', os: 'linux' });
  assert.deepEqual(readImagePlatform(Buffer.from('nope')), {});
  assert.deepEqual(readImagePlatform(bytes({ architecture: 5 })), {});
});
