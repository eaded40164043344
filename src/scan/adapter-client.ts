/**
 * A client of one Harbor Pluggable Scanner API adapter (harbor-api.ts): reads its metadata,
 * submits scans and polls reports. Accepts both what the spec says and what the Trivy
 * adapter does (302 with or without Refresh-After, 415 or 501 for an Accept it does not
 * serve, both error media types, omitted fields for a clean image). Never follows redirects
 * (a 302 means "not ready"); every call has a timeout; bodies are bounded. The HTTP client
 * (undici) is imported at the first call: a node with no scanner to talk to never loads it.
 */
import { MIME, metadataProblem, type AdapterMetadata, type ScanRequest } from './harbor-api.ts';

/** Reports larger than this are refused (a flood from a broken adapter stays bounded). */
export const MAX_REPORT_BYTES = 32 * 1024 * 1024;
const MAX_SMALL_BYTES = 1024 * 1024;
/** Harbor's default when a 302 carries no Refresh-After. */
export const DEFAULT_REFRESH_MS = 5_000;

export type AdapterAuth = { kind: 'none' } | { kind: 'basic'; secret: string } | { kind: 'bearer'; secret: string } | { kind: 'api-key'; secret: string };

/** Why a call failed: `unreachable` (network, timeout, 5xx without an adapter error), `refused` (the adapter said no), `protocol` (an answer we cannot use). */
export class AdapterError extends Error {
  constructor(
    readonly kind: 'unreachable' | 'refused' | 'protocol',
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export type ReportAnswer =
  | { kind: 'ready'; body: string }
  | { kind: 'pending'; retryAfterMs: number }
  | { kind: 'failed'; message: string }
  /** 404: the adapter does not know the job (expired or lost): resubmit. */
  | { kind: 'unknown' };

export interface AdapterClient {
  metadata(): Promise<AdapterMetadata>;
  submit(scan: ScanRequest): Promise<string>;
  report(id: string, accept: string, sbomMediaType?: string): Promise<ReportAnswer>;
}

function authHeaders(auth: AdapterAuth): Record<string, string> {
  switch (auth.kind) {
    case 'basic':
      return { authorization: `Basic ${Buffer.from(auth.secret).toString('base64')}` };
    case 'bearer':
      return { authorization: `Bearer ${auth.secret}` };
    case 'api-key':
      return { 'x-scanneradapter-api-key': auth.secret };
    default:
      return {};
  }
}

async function readBody(body: AsyncIterable<Buffer | Uint8Array> & { destroy?: () => void }, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) {
      body.destroy?.();
      throw new AdapterError('protocol', `the adapter's answer is larger than ${limit} bytes`);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The message of an adapter error body (`{"error":{"message":...}}`), else a short excerpt. */
export function errorMessageOf(text: string): string {
  try {
    const v = JSON.parse(text) as { error?: { message?: unknown } };
    if (typeof v?.error?.message === 'string') return v.error.message;
  } catch {
    /* not JSON */
  }
  return text.slice(0, 300) || '(empty body)';
}

/** Refresh-After in seconds (the spec), else the default. Bounded to 1 s .. 5 min. */
function refreshAfter(header: string | string[] | undefined, fallback: number): number {
  const value = Number(Array.isArray(header) ? header[0] : header);
  if (!Number.isFinite(value) || value <= 0) return fallback;
  return Math.min(300_000, Math.max(1_000, Math.round(value * 1000)));
}

export function createAdapterClient(options: { url: string; auth: AdapterAuth; timeoutMs: number; defaultRefreshMs?: number }): AdapterClient {
  const base = options.url.replace(/\/+$/, '') + '/api/v1';
  const common = authHeaders(options.auth);

  async function call(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: string, limit = MAX_SMALL_BYTES) {
    let res;
    try {
      const { request } = await import('../http/http-client.ts');
      res = await request(base + path, {
        method,
        headers: { ...common, ...headers },
        ...(body !== undefined ? { body } : {}),
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (err) {
      throw new AdapterError('unreachable', `cannot reach ${options.url}: ${(err as Error).message}`);
    }
    let text: string;
    try {
      text = await readBody(res.body, limit);
    } catch (err) {
      if (err instanceof AdapterError) throw err;
      throw new AdapterError('unreachable', `${options.url} stopped answering: ${(err as Error).message}`);
    }
    return { status: res.statusCode, headers: res.headers, text };
  }

  function parseJson(text: string, what: string): unknown {
    try {
      return JSON.parse(text);
    } catch {
      throw new AdapterError('protocol', `${what} is not JSON`);
    }
  }

  return {
    async metadata() {
      const res = await call('GET', '/metadata', { accept: MIME.metadata });
      if (res.status !== 200) throw new AdapterError(res.status >= 500 ? 'unreachable' : 'refused', `GET /api/v1/metadata answered ${res.status}: ${errorMessageOf(res.text)}`, res.status);
      const m = parseJson(res.text, 'the metadata');
      const problem = metadataProblem(m);
      if (problem) throw new AdapterError('protocol', problem);
      return m as AdapterMetadata;
    },

    async submit(scan) {
      const res = await call('POST', '/scan', { accept: MIME.scanResponse, 'content-type': MIME.scanRequest }, JSON.stringify(scan));
      if (res.status !== 202 && res.status !== 200) {
        throw new AdapterError(res.status >= 500 ? 'unreachable' : 'refused', `POST /api/v1/scan answered ${res.status}: ${errorMessageOf(res.text)}`, res.status);
      }
      const v = parseJson(res.text, 'the scan response') as { id?: unknown };
      if (typeof v?.id !== 'string' || v.id === '') throw new AdapterError('protocol', 'the scan response has no id');
      return v.id;
    },

    async report(id, accept, sbomMediaType) {
      const query = sbomMediaType ? `?sbom_media_type=${encodeURIComponent(sbomMediaType)}` : '';
      const res = await call('GET', `/scan/${encodeURIComponent(id)}/report${query}`, { accept }, undefined, MAX_REPORT_BYTES);
      if (res.status === 200) return { kind: 'ready', body: res.text };
      if (res.status === 302) return { kind: 'pending', retryAfterMs: refreshAfter(res.headers['refresh-after'], options.defaultRefreshMs ?? DEFAULT_REFRESH_MS) };
      if (res.status === 404) return { kind: 'unknown' };
      const type = String(res.headers['content-type'] ?? '');
      if (res.status === 500 && type.startsWith('application/vnd.scanner.adapter.error')) return { kind: 'failed', message: errorMessageOf(res.text) };
      if (res.status === 415 || res.status === 501 || res.status === 406) throw new AdapterError('refused', `the adapter does not serve ${accept} (${res.status})`, res.status);
      throw new AdapterError(res.status >= 500 ? 'unreachable' : 'protocol', `GET report answered ${res.status}: ${errorMessageOf(res.text)}`, res.status);
    },
  };
}
