/**
 * Small OCI images pushed over real HTTP (/v2 monolithic uploads and manifest PUTs), for the
 * quarantine and /acr/v1 tests. Every image gets unique content from `seed`, so tests never
 * share blobs by accident; shared blobs are opt-in (`extraLayers`).
 */
import { createHash } from 'node:crypto';
import { request } from 'undici';

export const sha256 = (data: string | Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export interface PushedImage {
  repository: string;
  digest: string;
  config: string;
  layers: string[];
  manifest: string;
  size: number;
}

export async function uploadBlob(url: string, repository: string, data: string | Buffer, headers: Record<string, string> = {}): Promise<string> {
  const digest = sha256(data);
  const res = await request(`${url}/v2/${repository}/blobs/uploads/?digest=${digest}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(Buffer.byteLength(data)) },
    body: data,
  });
  const text = await res.body.text();
  if (res.statusCode !== 201) throw new Error(`blob upload to ${repository} failed: ${res.statusCode} ${text}`);
  return digest;
}

export async function putManifest(url: string, repository: string, reference: string, body: string, mediaType: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await request(`${url}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': mediaType },
    body,
  });
  const text = await res.body.text();
  if (res.statusCode !== 201) throw new Error(`manifest PUT ${repository}:${reference} failed: ${res.statusCode} ${text}`);
  return sha256(body);
}

export interface ImageOptions {
  seed: string;
  tag?: string;
  architecture?: string;
  os?: string;
  /** Layers (by content) shared with other images. */
  extraLayers?: string[];
  headers?: Record<string, string>;
}

export async function pushImage(url: string, repository: string, options: ImageOptions): Promise<PushedImage> {
  const h = options.headers ?? {};
  const config = JSON.stringify({ architecture: options.architecture ?? 'amd64', os: options.os ?? 'linux', rootfs: { type: 'layers', diff_ids: [] }, seed: options.seed });
  const layerContents = [`layer of ${options.seed}`, ...(options.extraLayers ?? [])];
  const configDigest = await uploadBlob(url, repository, config, h);
  const layers: string[] = [];
  for (const l of layerContents) layers.push(await uploadBlob(url, repository, l, h));
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: Buffer.byteLength(config) },
    layers: layerContents.map((l, i) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layers[i], size: Buffer.byteLength(l) })),
  });
  const digest = sha256(manifest);
  await putManifest(url, repository, options.tag ?? digest, manifest, 'application/vnd.oci.image.manifest.v1+json', h);
  return { repository, digest, config: configDigest, layers, manifest, size: Buffer.byteLength(manifest) };
}

export async function pushIndex(url: string, repository: string, children: { digest: string; size: number; architecture: string; os: string }[], tag?: string, headers: Record<string, string> = {}): Promise<string> {
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: children.map((c) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: c.digest, size: c.size, platform: { architecture: c.architecture, os: c.os } })),
  });
  const digest = sha256(index);
  await putManifest(url, repository, tag ?? digest, index, 'application/vnd.oci.image.index.v1+json', headers);
  return digest;
}

/** A JSON request that returns status, headers and parsed body. */
export async function call(url: string, method: string, path: string, options: { headers?: Record<string, string>; body?: unknown } = {}) {
  const res = await request(url + path, {
    method: method as 'GET',
    // As the CLI and the portal: the JSON APIs' state-changing calls declare JSON even without a body.
    headers: { ...(options.body !== undefined || (/^\/(api|acr)\//.test(path) && ['POST', 'PUT', 'PATCH'].includes(method)) ? { 'content-type': 'application/json' } : {}), ...options.headers },
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
  });
  const text = await res.body.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* keep text */
  }
  return { status: res.statusCode, headers: res.headers, body, text };
}

/**
 * Writes a one-layer OCI image layout (a real gzipped tar layer) under `dir`, tagged `tag`, for
 * skopeo to push (`oci:<dir>:<tag>`). Returns the manifest digest.
 */
export async function writeOciLayout(dir: string, tag: string, seed: string): Promise<{ digest: string; layer: string; config: string }> {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { gzipSync } = await import('node:zlib');
  const blobsDir = join(dir, 'blobs', 'sha256');
  mkdirSync(blobsDir, { recursive: true });
  const put = (data: Buffer | string) => {
    const digest = sha256(data);
    writeFileSync(join(blobsDir, digest.slice('sha256:'.length)), data);
    return digest;
  };
  const layer = gzipSync(tarOneFile('hello.txt', `hello from ${seed}\n`));
  const layerDigest = put(layer);
  const diffId = sha256(tarOneFile('hello.txt', `hello from ${seed}\n`));
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/hello'] }, rootfs: { type: 'layers', diff_ids: [diffId] } });
  const configDigest = put(config);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: Buffer.byteLength(config) },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layer.length }],
  });
  const digest = put(manifest);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: Buffer.byteLength(manifest), annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
  return { digest, layer: layerDigest, config: configDigest };
}

/** A ustar archive holding one regular file (deterministic: fixed mtime and owner). */
function tarOneFile(name: string, content: string): Buffer {
  const body = Buffer.from(content);
  const header = Buffer.alloc(512, 0);
  const field = (value: string, offset: number, length: number) => header.write(value, offset, length, 'ascii');
  field(name, 0, 100);
  field('0000644\0', 100, 8);
  field('0000000\0', 108, 8);
  field('0000000\0', 116, 8);
  field(body.length.toString(8).padStart(11, '0') + '\0', 124, 12);
  field('00000000000\0', 136, 12);
  field('        ', 148, 8);
  field('0', 156, 1);
  field('ustar\0', 257, 6);
  field('00', 263, 2);
  let sum = 0;
  for (const b of header) sum += b;
  field(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512, 0);
  return Buffer.concat([header, body, pad, Buffer.alloc(1024, 0)]);
}

/**
 * Pushes a one-layer OCI 1.1 artifact whose subject is `img` (what cosign's bundle format,
 * notation and VEX tools push): the content its layer, an empty config, addressed by digest.
 */
export async function pushReferrer(
  url: string,
  img: Pick<PushedImage, 'repository' | 'digest' | 'size'>,
  artifact: { artifactType: string; layerMediaType?: string; content: string | Buffer; annotations?: Record<string, string> },
  headers: Record<string, string> = {},
): Promise<string> {
  const layer = await uploadBlob(url, img.repository, artifact.content, headers);
  const config = await uploadBlob(url, img.repository, '{}', headers);
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: artifact.artifactType,
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: config, size: 2 },
    layers: [{ mediaType: artifact.layerMediaType ?? artifact.artifactType, digest: layer, size: Buffer.byteLength(artifact.content) }],
    subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: img.digest, size: img.size },
    ...(artifact.annotations ? { annotations: artifact.annotations } : {}),
  });
  await putManifest(url, img.repository, sha256(body), body, 'application/vnd.oci.image.manifest.v1+json', headers);
  return sha256(body);
}
