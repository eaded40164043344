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
    headers: { ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
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
