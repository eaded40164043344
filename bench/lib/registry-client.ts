/**
 * The benchmark's registry client (undici): blob uploads (monolithic and chunked), manifests,
 * and Docker token auth. Bodies are Buffers from a pre-made pool, pre-made files read into
 * memory (data.ts `inMemory`) or streams of pre-made files, so the client spends its time on
 * HTTP, not on making bytes.
 */
import { createReadStream } from 'node:fs';
import { Pool, type Dispatcher } from 'undici';
import type { FileBlob, MemBlob } from './data.ts';
import { MANIFEST_MEDIA_TYPE } from './data.ts';

export interface Response { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }

export class HttpError extends Error {}

const REQUEST_TIMEOUT_MS = 120_000;

/** Docker token auth: Basic credentials traded at the realm for a bearer token per scope. */
export class TokenAuth {
  private cache = new Map<string, { token: string; until: number }>();
  constructor(readonly realm: string, readonly service: string, readonly user: string, readonly password: string) {}

  get basic(): string {
    return `Basic ${Buffer.from(`${this.user}:${this.password}`).toString('base64')}`;
  }

  tokenUrl(scopes: string[]): string {
    const url = new URL(this.realm);
    url.searchParams.set('service', this.service);
    for (const s of scopes) url.searchParams.append('scope', s);
    return url.toString();
  }

  async token(scopes: string[]): Promise<string> {
    const key = scopes.join(' ');
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return hit.token;
    const res = await fetch(this.tokenUrl(scopes), { headers: { authorization: this.basic } });
    const text = await res.text();
    if (res.status !== 200) throw new HttpError(`token for ${key}: ${res.status} ${text.slice(0, 300)}`);
    const json = JSON.parse(text) as { token?: string; access_token?: string; expires_in?: number };
    const token = json.access_token ?? json.token;
    if (!token) throw new HttpError(`token for ${key}: no token in ${text.slice(0, 200)}`);
    this.cache.set(key, { token, until: Date.now() + Math.max(30, (json.expires_in ?? 60) - 30) * 1000 });
    return token;
  }
}

/** Reads the Bearer challenge of /v2/; undefined when the registry needs no auth. */
export async function discoverAuth(origin: string, user: string, password: string): Promise<TokenAuth | undefined> {
  const res = await fetch(`${origin}/v2/`);
  await res.arrayBuffer();
  if (res.status === 200) return undefined;
  const challenge = res.headers.get('www-authenticate') ?? '';
  const realm = /realm="([^"]+)"/.exec(challenge)?.[1];
  const service = /service="([^"]+)"/.exec(challenge)?.[1];
  if (res.status !== 401 || !realm || !service) throw new HttpError(`/v2/ answered ${res.status} with challenge "${challenge}"`);
  return new TokenAuth(realm, service, user, password);
}

export const pullScope = (repo: string) => `repository:${repo}:pull`;
export const pushScope = (repo: string) => `repository:${repo}:pull,push`;
export const CATALOG_SCOPE = 'registry:catalog:*';

export class RegistryClient {
  constructor(readonly origin: string, readonly auth?: TokenAuth) {}

  pool(connections: number): Pool {
    return new Pool(this.origin, { connections, pipelining: 1, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS });
  }

  async authHeaders(scopes: string[]): Promise<Record<string, string>> {
    return this.auth ? { authorization: `Bearer ${await this.auth.token(scopes)}` } : {};
  }

  async call(d: Dispatcher, options: Dispatcher.RequestOptions, expect: number[]): Promise<Response> {
    const res = await d.request({ ...options, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const body = Buffer.from(await res.body.arrayBuffer());
    if (!expect.includes(res.statusCode)) {
      throw new HttpError(`${options.method} ${options.path}: ${res.statusCode} ${body.toString('utf8').slice(0, 300)}`);
    }
    return { status: res.statusCode, headers: res.headers, body };
  }

  /** The path+query of an upload Location header (absolute or relative). */
  private uploadPath(res: Response): string {
    const location = res.headers.location;
    if (typeof location !== 'string') throw new HttpError('upload answered without a Location');
    const url = new URL(location, this.origin);
    return `${url.pathname}${url.search}`;
  }

  private withDigest(path: string, digest: string): string {
    return `${path}${path.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
  }

  async startUpload(d: Dispatcher, repo: string, headers: Record<string, string>): Promise<string> {
    const res = await this.call(d, { method: 'POST', path: `/v2/${repo}/blobs/uploads/`, headers: { ...headers, 'content-length': '0' } }, [202]);
    return this.uploadPath(res);
  }

  /** Monolithic upload: POST, then one PUT with the whole blob (Distribution ignores ?digest= on POST). */
  async pushBlob(d: Dispatcher, repo: string, blob: MemBlob | FileBlob, headers: Record<string, string>): Promise<void> {
    const path = await this.startUpload(d, repo, headers);
    const size = 'data' in blob ? blob.data.length : blob.size;
    const body = 'data' in blob ? blob.data : (blob.bytes ?? createReadStream(blob.path, { highWaterMark: 1024 * 1024 }));
    await this.call(d, {
      method: 'PUT',
      path: this.withDigest(path, blob.digest),
      headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body,
    }, [201]);
  }

  /** Chunked upload: POST, PATCHes of `chunk` bytes with Content-Range, then an empty PUT. */
  async pushChunked(d: Dispatcher, repo: string, blob: FileBlob, chunk: number, headers: Record<string, string>): Promise<void> {
    let path = await this.startUpload(d, repo, headers);
    for (let start = 0; start < blob.size; start += chunk) {
      const end = Math.min(blob.size, start + chunk) - 1;
      const res = await this.call(d, {
        method: 'PATCH',
        path,
        headers: {
          ...headers,
          'content-type': 'application/octet-stream',
          'content-length': String(end - start + 1),
          'content-range': `${start}-${end}`,
        },
        body: blob.bytes ? blob.bytes.subarray(start, end + 1) : createReadStream(blob.path, { start, end, highWaterMark: 1024 * 1024 }),
      }, [202]);
      path = this.uploadPath(res);
    }
    await this.call(d, { method: 'PUT', path: this.withDigest(path, blob.digest), headers: { ...headers, 'content-length': '0' } }, [201]);
  }

  /** Cross-repository mount; falls back to an upload when the registry answers 202. */
  async mountOrPush(d: Dispatcher, repo: string, from: string, blob: MemBlob, headers: Record<string, string>): Promise<void> {
    const res = await this.call(d, {
      method: 'POST',
      path: `/v2/${repo}/blobs/uploads/?mount=${encodeURIComponent(blob.digest)}&from=${encodeURIComponent(from)}`,
      headers: { ...headers, 'content-length': '0' },
    }, [201, 202]);
    if (res.status === 201) return;
    await this.call(d, {
      method: 'PUT',
      path: this.withDigest(this.uploadPath(res), blob.digest),
      headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(blob.data.length) },
      body: blob.data,
    }, [201]);
  }

  async putManifest(d: Dispatcher, repo: string, reference: string, manifest: MemBlob, headers: Record<string, string>): Promise<void> {
    const res = await this.call(d, {
      method: 'PUT',
      path: `/v2/${repo}/manifests/${reference}`,
      headers: { ...headers, 'content-type': MANIFEST_MEDIA_TYPE, 'content-length': String(manifest.data.length) },
      body: manifest.data,
    }, [201]);
    const digest = res.headers['docker-content-digest'];
    if (digest !== undefined && digest !== manifest.digest) throw new HttpError(`manifest PUT answered digest ${String(digest)}, expected ${manifest.digest}`);
  }
}

/** Runs `worker` on `concurrency` lanes until `items` is exhausted. */
export async function forEachConcurrent<T>(items: T[], concurrency: number, worker: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await worker(items[i]!, i);
    }
  }));
}
