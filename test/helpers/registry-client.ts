/**
 * A small /v2 client for HTTP tests (undici, no registry library): raw requests plus the few
 * push helpers every test needs. It never hides a status: helpers that expect success assert it
 * and show the error body when it fails.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { startTestServer, type TestServer } from './server.ts';
import type { MetadataStore } from '../../src/persistence/index.ts';
import { Agent, request as undiciRequest } from 'undici';
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text(): string;
  json<T = any>(): T;
}

export type Algorithm = 'sha256' | 'sha512';

export const digestOf = (data: Uint8Array | string, algorithm: Algorithm = 'sha256') =>
  `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: Buffer | string | AsyncIterable<Uint8Array>;
  signal?: AbortSignal;
}

export function createRegistryClient(baseUrl: string, defaultHeaders: Record<string, string> = {}) {
  // Own connection pool, closed by close(): keep-alive sockets never outlive the test.
  const dispatcher = new Agent({ keepAliveTimeout: 1000, keepAliveMaxTimeout: 1000 });
  async function req(method: string, path: string, options: RequestOptions = {}): Promise<RawResponse> {
    const res = await undiciRequest(baseUrl + path, {
      method: method as 'GET',
      dispatcher,
      headers: { ...defaultHeaders, ...options.headers },
      ...(options.body !== undefined ? { body: options.body as Buffer } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    return {
      status: res.statusCode,
      headers: res.headers,
      body,
      text: () => body.toString('utf8'),
      json: () => JSON.parse(body.toString('utf8')),
    };
  }

  function expectStatus(res: RawResponse, status: number, what: string) {
    if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status}: ${res.text().slice(0, 500)}`);
    return res;
  }

  return {
    req,
    close: () => dispatcher.close(),
    /** Monolithic single-POST upload; returns the digest. */
    async pushBlob(name: string, data: Buffer | string, algorithm: Algorithm = 'sha256'): Promise<string> {
      const digest = digestOf(data, algorithm);
      const res = await req('POST', `/v2/${name}/blobs/uploads/?digest=${digest}`, {
        headers: { 'content-type': 'application/octet-stream' },
        body: data,
      });
      expectStatus(res, 201, `push blob ${digest} to ${name}`);
      return digest;
    },
    /** PUT a manifest (object or raw bytes); returns the response. */
    async putManifest(name: string, reference: string, manifest: object | Buffer | string, mediaType?: string): Promise<RawResponse> {
      const body = Buffer.isBuffer(manifest) || typeof manifest === 'string' ? manifest : JSON.stringify(manifest);
      const type = mediaType ?? (typeof manifest === 'object' && !Buffer.isBuffer(manifest) ? (manifest as { mediaType?: string }).mediaType : undefined);
      return req('PUT', `/v2/${name}/manifests/${reference}`, { headers: type ? { 'content-type': type } : {}, body });
    },
    /** PUT a manifest and assert 201; returns its digest. */
    async pushManifest(name: string, reference: string, manifest: object | Buffer | string, mediaType?: string): Promise<string> {
      const res = expectStatus(await this.putManifest(name, reference, manifest, mediaType), 201, `push manifest ${name}:${reference}`);
      return res.headers['docker-content-digest'] as string;
    },
    /** Pushes a random config + layers and an OCI image manifest; returns digests and the manifest. */
    async pushImage(name: string, reference: string, options: ImageOptions = {}): Promise<PushedImage> {
      const image = buildImage(options);
      for (const blob of [image.config, ...image.layers]) await this.pushBlob(name, blob);
      const digest = await this.pushManifest(name, reference, image.manifestBytes, image.manifest.mediaType);
      return { ...image, digest };
    },
    expectStatus,
  };
}

export type RegistryClient = ReturnType<typeof createRegistryClient>;

export interface ImageOptions {
  architecture?: string;
  os?: string;
  layers?: (Buffer | string)[];
  mediaType?: 'oci' | 'docker';
  artifactType?: string;
  subject?: { mediaType: string; digest: string; size: number };
  annotations?: Record<string, string>;
  /** Extra text in the config, to make images distinct. */
  salt?: string;
}

export interface BuiltImage {
  config: Buffer;
  layers: Buffer[];
  manifest: Record<string, any>;
  manifestBytes: Buffer;
}

export interface PushedImage extends BuiltImage {
  digest: string;
}

export const OCI = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  empty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export const descriptor = (mediaType: string, data: Buffer | string, extra: Record<string, unknown> = {}) => ({
  mediaType,
  digest: digestOf(data),
  size: Buffer.byteLength(data),
  ...extra,
});

/** An image (config + layers + manifest) in memory; nothing pushed. */
export function buildImage(options: ImageOptions = {}): BuiltImage {
  const docker = options.mediaType === 'docker';
  const layers = (options.layers ?? [`layer-${Math.random()}`]).map((l) => Buffer.from(l));
  const config = Buffer.from(
    JSON.stringify({
      architecture: options.architecture ?? 'amd64',
      os: options.os ?? 'linux',
      rootfs: { type: 'layers', diff_ids: layers.map((l) => digestOf(l)) },
      config: { Labels: { salt: options.salt ?? String(Math.random()) } },
    }),
  );
  const manifest: Record<string, any> = {
    schemaVersion: 2,
    mediaType: docker ? OCI.dockerManifest : OCI.manifest,
    ...(options.artifactType ? { artifactType: options.artifactType } : {}),
    config: descriptor(docker ? OCI.dockerConfig : OCI.config, config),
    layers: layers.map((l) => descriptor(docker ? OCI.dockerLayer : OCI.layer, l)),
    ...(options.subject ? { subject: options.subject } : {}),
    ...(options.annotations ? { annotations: options.annotations } : {}),
  };
  return { config, layers, manifest, manifestBytes: Buffer.from(JSON.stringify(manifest)) };
}

/**
 * Asserts a /v2 error response: this status and code, a message, in the registry's error
 * format, with the Docker-Distribution-API-Version header every /v2 response carries.
 */
export function assertRegistryError(res: RawResponse, status: number, code: string) {
  assert.equal(res.status, status, res.text());
  const body = res.json();
  assert.equal(body.errors[0].code, code, JSON.stringify(body));
  assert.equal(typeof body.errors[0].message, 'string');
  assert.equal(res.headers['docker-distribution-api-version'], 'registry/2.0');
}

/**
 * What the conformance-style suites (test/suites/distribution-*.ts) run against: a client for
 * the target's URL (with the credentials it needs), the metadata store its nodes read (to
 * check what was recorded), and, for one node in process, the server itself (tests that swap
 * its gate or lifecycle, or look at its blob store, run only there).
 */
export interface ConformanceFixture {
  client: RegistryClient;
  store: MetadataStore;
  server?: TestServer;
}

/**
 * One real server (auth.mode none unless overridden) and a client for a test file: started
 * before its tests, closed after. Read `fixture.server` / `fixture.client` inside tests.
 */
export function useRegistryServer(overrides: Record<string, unknown> = { 'auth.mode': 'none' }) {
  const fixture = {} as { server: TestServer; client: RegistryClient; store: MetadataStore };
  before(async () => {
    fixture.server = await startTestServer(overrides);
    fixture.client = createRegistryClient(fixture.server.url);
    fixture.store = fixture.server.services.store;
  });
  after(async () => {
    await fixture.client?.close();
    await fixture.server?.close();
  });
  return fixture;
}

