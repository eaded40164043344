/**
 * A small OCI distribution client for database bundles: Docker token auth (a 401 with a
 * Bearer challenge is answered by asking the realm for a token for exactly this repository's
 * scope, with Basic credentials when given), Basic auth where the registry asks for it,
 * monolithic blob uploads streamed from a file, manifests by tag or digest.
 */
import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';

export interface Credentials {
  username: string;
  password: string;
}

export class RegistryHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT';

/** `Bearer realm="...",service="...",scope="..."` -> its parameters. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  const re = /([a-zA-Z_]+)="([^"]*)"/g;
  let m;
  while ((m = re.exec(header.slice(space + 1)))) params[m[1]!.toLowerCase()] = m[2]!;
  return { scheme, params };
}

async function errorText(res: Dispatcher.ResponseData): Promise<string> {
  const text = await res.body.text();
  try {
    const first = (JSON.parse(text) as { errors?: { code: string; message: string }[] }).errors?.[0];
    if (first) return `${first.code}: ${first.message}`;
  } catch {
    /* not JSON */
  }
  return text.slice(0, 200) || `HTTP ${res.statusCode}`;
}

export class RegistryClient {
  private authorization?: string;

  constructor(
    readonly registry: string,
    readonly repository: string,
    private readonly credentials: Credentials | undefined,
    private readonly actions: 'pull' | 'pull,push',
  ) {}

  private url(path: string) {
    return path.startsWith('http://') || path.startsWith('https://') ? path : `${this.registry}${path}`;
  }

  private async authenticate(challenge: string) {
    const { scheme, params } = parseChallenge(challenge);
    const basic = this.credentials ? `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}` : undefined;
    if (scheme === 'basic') {
      if (!basic) throw new RegistryHttpError(401, `${this.registry} asks for credentials: pass -u/-p or run \`lazaret login\``);
      this.authorization = basic;
      return;
    }
    if (scheme !== 'bearer' || !params.realm) throw new RegistryHttpError(401, `${this.registry}: unsupported authentication challenge ${JSON.stringify(challenge)}`);
    const q = new URLSearchParams();
    if (params.service) q.set('service', params.service);
    q.set('scope', `repository:${this.repository}:${this.actions}`);
    let res;
    try {
      res = await request(`${params.realm}?${q}`, { method: 'GET', headers: basic ? { authorization: basic } : {} });
    } catch (err) {
      throw new RegistryHttpError(0, `cannot reach the token service ${params.realm}: ${(err as Error).message}`);
    }
    if (res.statusCode !== 200) throw new RegistryHttpError(res.statusCode, `token request refused (${res.statusCode}): ${await errorText(res)}`);
    const body = (await res.body.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryHttpError(502, `the token service ${params.realm} answered without a token`);
    this.authorization = `Bearer ${token}`;
  }

  /** One request; a 401 is answered once by authenticating, then retried. */
  async send(method: Method, path: string, options: { headers?: Record<string, string>; body?: () => Buffer | Readable | string } = {}): Promise<Dispatcher.ResponseData> {
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...options.headers };
      if (this.authorization) headers.authorization = this.authorization;
      let res;
      try {
        res = await request(this.url(path), { method, headers, body: options.body?.() });
      } catch (err) {
        throw new RegistryHttpError(0, `cannot reach ${this.registry}: ${(err as Error).message}`);
      }
      if (res.statusCode === 401 && attempt === 0) {
        const challenge = res.headers['www-authenticate'];
        await res.body.dump();
        if (typeof challenge !== 'string') throw new RegistryHttpError(401, `${this.registry} refused the request without a challenge`);
        await this.authenticate(challenge);
        continue;
      }
      return res;
    }
  }

  private async expect(res: Dispatcher.ResponseData, ok: number[], what: string) {
    if (!ok.includes(res.statusCode)) throw new RegistryHttpError(res.statusCode, `${what}: ${res.statusCode} ${await errorText(res)}`);
  }

  async hasBlob(digest: string): Promise<boolean> {
    const res = await this.send('HEAD', `/v2/${this.repository}/blobs/${digest}`);
    await res.body.dump();
    return res.statusCode === 200;
  }

  /** Uploads a blob (monolithic POST + PUT), streaming it from a file or a buffer. */
  async pushBlob(digest: string, source: { file: string } | { data: Buffer }): Promise<void> {
    if (await this.hasBlob(digest)) return;
    const start = await this.send('POST', `/v2/${this.repository}/blobs/uploads/`, { headers: { 'content-length': '0' } });
    await this.expect(start, [202], `starting the upload to ${this.repository}`);
    await start.body.dump();
    const location = start.headers.location;
    if (typeof location !== 'string') throw new RegistryHttpError(502, 'the registry started an upload without a Location');
    const target = new URL(location, this.registry);
    target.searchParams.set('digest', digest);
    const size = 'file' in source ? statSync(source.file).size : source.data.length;
    const res = await this.send('PUT', target.toString(), {
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body: () => ('file' in source ? createReadStream(source.file) : source.data),
    });
    await this.expect(res, [201], `uploading blob ${digest}`);
    await res.body.dump();
  }

  async putManifest(reference: string, mediaType: string, bytes: Buffer): Promise<string | undefined> {
    const res = await this.send('PUT', `/v2/${this.repository}/manifests/${reference}`, { headers: { 'content-type': mediaType }, body: () => bytes });
    await this.expect(res, [201], `pushing the manifest ${this.repository}:${reference}`);
    await res.body.dump();
    const digest = res.headers['docker-content-digest'];
    return typeof digest === 'string' ? digest : undefined;
  }

  async getManifest(reference: string, accept: string[]): Promise<{ bytes: Buffer; mediaType: string; digest?: string }> {
    const res = await this.send('GET', `/v2/${this.repository}/manifests/${reference}`, { headers: { accept: accept.join(', ') } });
    await this.expect(res, [200], `reading ${this.repository}:${reference}`);
    const bytes = Buffer.from(await res.body.arrayBuffer());
    const digest = res.headers['docker-content-digest'];
    return { bytes, mediaType: String(res.headers['content-type'] ?? ''), digest: typeof digest === 'string' ? digest : undefined };
  }

  /** The blob's body as a stream; follows one redirect (to object storage) without our credentials. */
  async getBlob(digest: string): Promise<Readable> {
    let res = await this.send('GET', `/v2/${this.repository}/blobs/${digest}`);
    if ([301, 302, 303, 307, 308].includes(res.statusCode) && typeof res.headers.location === 'string') {
      await res.body.dump();
      res = await request(new URL(res.headers.location, this.registry).toString(), { method: 'GET' });
    }
    await this.expect(res, [200], `reading blob ${digest}`);
    return res.body;
  }
}
