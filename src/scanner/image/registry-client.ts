/**
 * Reads one repository of a registry as a pull client: the credential from the scan request is
 * `Basic ...` (exchanged for a token by the Docker token flow when the registry challenges with
 * Bearer) or `Bearer ...` (sent as it is). http and https; redirects for blobs (storage URLs)
 * are followed, dropping the credential on another origin (undici's redirect interceptor).
 */
import { Agent, interceptors, type Dispatcher } from 'undici';
import type { Readable } from 'node:stream';
import { ScanError } from '../scan-error.ts';

export interface RegistryTarget {
  /** e.g. `https://registry.example:5000` */
  url: string;
  repository: string;
  /** `Basic <b64>` or `Bearer <token>`, or undefined for anonymous pulls. */
  authorization?: string;
}

export interface RegistryClient {
  /** The manifest's bytes (bounded) and Content-Type. */
  manifest(digest: string, accept: string[], maxBytes: number): Promise<{ bytes: Buffer; contentType?: string }>;
  /** A blob's body as a stream (the caller verifies its digest while reading). */
  blob(digest: string): Promise<Readable>;
  close(): Promise<void>;
}

const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

/** Parses `Bearer realm="...",service="...",scope="..."` into its parameters. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  for (const m of header.slice(space + 1).matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) params[m[1].toLowerCase()] = m[2];
  return { scheme, params };
}

export function createRegistryClient(target: RegistryTarget, options: { timeoutMs?: number } = {}): RegistryClient {
  let base: URL;
  try {
    base = new URL(target.url);
  } catch {
    throw new ScanError('REGISTRY_URL_INVALID', `${JSON.stringify(target.url)} is not a URL`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new ScanError('REGISTRY_URL_INVALID');
  if (!REPOSITORY.test(target.repository) || target.repository.length > 255) {
    throw new ScanError('MANIFEST_INVALID', `repository ${JSON.stringify(target.repository)} is not a valid name`);
  }
  const timeout = options.timeoutMs ?? 60_000;
  const agent = new Agent({ headersTimeout: timeout, bodyTimeout: timeout, connectTimeout: Math.min(timeout, 10_000) });
  const dispatcher: Dispatcher = agent.compose(interceptors.redirect({ maxRedirections: 5 }));
  const origin = base.origin;
  const prefix = base.pathname.replace(/\/+$/, '');
  /** What goes in Authorization: the request's own credential until a token replaces it. */
  let authorization = target.authorization;
  let tokenFetched = false;

  async function send(path: string, accept?: string[]): Promise<Dispatcher.ResponseData> {
    const url = `${origin}${prefix}${path}`;
    const headers: Record<string, string> = { 'user-agent': 'lazaret-scanner' };
    if (accept) headers.accept = accept.join(', ');
    if (authorization) headers.authorization = authorization;
    try {
      return await dispatcher.request({ origin, path: `${prefix}${path}`, method: 'GET', headers });
    } catch (err) {
      throw new ScanError('REGISTRY_UNREACHABLE', `GET ${url}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** The Docker token flow: ask the realm for a pull token with the Basic credential. */
  async function fetchToken(challenge: string): Promise<void> {
    const { scheme, params } = parseChallenge(challenge);
    if (scheme === 'basic') return; // the Basic credential was refused as it is
    if (scheme !== 'bearer' || !params.realm) throw new ScanError('REGISTRY_UNAUTHORIZED', `unsupported challenge ${JSON.stringify(challenge.slice(0, 200))}`);
    let realm: URL;
    try {
      realm = new URL(params.realm);
    } catch {
      throw new ScanError('REGISTRY_UNAUTHORIZED', 'the token realm is not a URL');
    }
    if (realm.protocol !== 'http:' && realm.protocol !== 'https:') throw new ScanError('REGISTRY_UNAUTHORIZED', 'the token realm is not http(s)');
    if (params.service) realm.searchParams.set('service', params.service);
    realm.searchParams.append('scope', params.scope ?? `repository:${target.repository}:pull`);
    const headers: Record<string, string> = { 'user-agent': 'lazaret-scanner' };
    if (target.authorization?.toLowerCase().startsWith('basic ')) headers.authorization = target.authorization;
    let res: Dispatcher.ResponseData;
    try {
      res = await agent.request({ origin: realm.origin, path: `${realm.pathname}${realm.search}`, method: 'GET', headers });
    } catch (err) {
      throw new ScanError('REGISTRY_UNREACHABLE', `token realm ${realm.origin}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const text = await readBounded(res.body, 1024 * 1024, 'token response');
    if (res.statusCode !== 200) throw new ScanError('REGISTRY_UNAUTHORIZED', `the token realm answered ${res.statusCode}`);
    let token: unknown;
    try {
      const body = JSON.parse(text.toString('utf8'));
      token = body.token ?? body.access_token;
    } catch {
      throw new ScanError('REGISTRY_UNAUTHORIZED', 'the token realm did not answer JSON');
    }
    if (typeof token !== 'string' || token === '') throw new ScanError('REGISTRY_UNAUTHORIZED', 'the token realm answered no token');
    authorization = `Bearer ${token}`;
    tokenFetched = true;
  }

  async function get(path: string, accept?: string[]): Promise<Dispatcher.ResponseData> {
    let res = await send(path, accept);
    const canExchange = !tokenFetched && !target.authorization?.toLowerCase().startsWith('bearer ');
    if (res.statusCode === 401 && canExchange) {
      const challenge = String(res.headers['www-authenticate'] ?? '');
      res.body.resume();
      await fetchToken(challenge);
      res = await send(path, accept);
    }
    if (res.statusCode === 401 || res.statusCode === 403) {
      res.body.resume();
      throw new ScanError('REGISTRY_UNAUTHORIZED', `GET ${path} answered ${res.statusCode}`);
    }
    if (res.statusCode !== 200) {
      res.body.resume();
      throw new ScanError('REGISTRY_ERROR', `GET ${path} answered ${res.statusCode}`);
    }
    return res;
  }

  return {
    async manifest(digest, accept, maxBytes) {
      const res = await get(`/v2/${target.repository}/manifests/${digest}`, accept);
      const bytes = await readBounded(res.body, maxBytes, 'manifest');
      const ct = res.headers['content-type'];
      return { bytes, contentType: Array.isArray(ct) ? ct[0] : ct };
    },
    async blob(digest) {
      const res = await get(`/v2/${target.repository}/blobs/${digest}`);
      return res.body;
    },
    close: () => agent.close(),
  };
}

/** Reads a body up to maxBytes; more is MANIFEST_INVALID (documents are small). */
export async function readBounded(body: Readable, maxBytes: number, what: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      body.destroy();
      throw new ScanError('MANIFEST_INVALID', `the ${what} is larger than ${maxBytes} bytes`);
    }
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts);
}
