/**
 * The S3 client's request handler (the SDK's `requestHandler` slot): GetObject is sent on
 * connections of our own (get-connection.ts) that read bodies into reused buffers; every other
 * request, and any GetObject answer that reader does not frame, goes through the SDK's own
 * node:http handler. The SDK still builds, signs (SigV4), retries and parses every request and
 * response, errors included: only the bytes on the wire are read differently.
 *
 * Why: node:http's reader spent 1.6-1.7 ms of CPU per MB of a pull, a fresh 64 KiB ArrayBuffer
 * per socket read being most of it (the garbage collector), and undici was not far below
 * (bench/README.md "Pull and push on S3"; docs/storage.md "How blob GETs read S3").
 *
 * - Only requests the SDK marks `x-id=GetObject` (a GET without a body) take this path.
 * - Keep-alive: idle connections per origin, most recently used first, closed after `idleMs`
 *   idle (before a server's own idle timeout, typically 5-60 s) or when the server closes them.
 *   A reused connection that closes before any answer byte was closed by the server while idle:
 *   the request is written once more on a new connection (a GET without a body is idempotent).
 * - Timeouts: `connectionTimeout` to connect, `socketTimeout` of silence from the server while a
 *   request waits for it (never while the consumer holds the body back). A timeout before the
 *   answer is a `TimeoutError`, retried by the SDK; during the body it errors the body stream.
 * - A response that is valid but not framed by Content-Length (chunked, close-delimited, 1xx,
 *   a head over 32 KiB) is abandoned and the same signed request is sent through node:http.
 */
import { buildQueryString, HttpResponse, type HttpHandler, type HttpHandlerOptions, type HttpRequest } from '@smithy/core/protocols';
import { HTTP_FIELD_VALUE, HTTP_TOKEN } from '../../http/http-syntax.ts';
import { GetConnection, Unsupported, type ConnectionTimeouts, type Origin } from './get-connection.ts';

export interface GetObjectHandlerOptions extends Partial<Omit<ConnectionTimeouts, 'connectTimeout'>> {
  /** Handles every other request, and GetObject answers this reader does not frame. */
  fallback: HttpHandler;
  /** ms to connect (default 5 s, as the fallback's connectionTimeout). */
  connectionTimeout?: number;
  /** ms an idle connection is kept (default 4 s). */
  idleMs?: number;
  /** Idle connections kept per origin (default 32). */
  maxIdle?: number;
}

const PATH = /^\/[\x21-\x7e]*$/;

/** For tests and bench/: how GetObject requests were served. */
export interface GetObjectHandlerStats {
  /** Answered on our own connections. */
  direct: number;
  /** Sent again through node:http (an answer this reader does not frame). */
  fallbacks: number;
  /** Connections opened. */
  connections: number;
}

export class GetObjectHandler implements HttpHandler {
  readonly metadata = { handlerProtocol: 'http/1.1' };
  readonly stats: GetObjectHandlerStats = { direct: 0, fallbacks: 0, connections: 0 };
  private readonly idle = new Map<string, GetConnection[]>();
  private readonly timeouts: ConnectionTimeouts;
  private destroyed = false;

  constructor(private readonly options: GetObjectHandlerOptions) {
    this.timeouts = { connectTimeout: options.connectionTimeout ?? 5_000, socketTimeout: options.socketTimeout ?? 30_000, ...(options.tls ? { tls: options.tls } : {}) };
  }

  async handle(request: HttpRequest, handlerOptions: HttpHandlerOptions = {}): Promise<{ response: HttpResponse }> {
    const head = this.destroyed ? undefined : requestHead(request);
    if (!head) return this.options.fallback.handle(request, handlerOptions);
    const signal = handlerOptions.abortSignal as AbortSignal | undefined;
    if (signal?.aborted) throw Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    const origin: Origin = { protocol: request.protocol as Origin['protocol'], host: hostOf(request), port: request.port ?? (request.protocol === 'https:' ? 443 : 80) };
    for (let attempt = 0; ; attempt++) {
      // The second attempt opens a new connection: another idle one may be as stale.
      const conn = (attempt === 0 ? this.take(origin) : undefined) ?? this.open(origin);
      try {
        const answer = await conn.send(head, signal);
        this.stats.direct++;
        return { response: new HttpResponse({ statusCode: answer.status, reason: answer.reason, headers: answer.headers, body: answer.body }) };
      } catch (err) {
        if (err instanceof Unsupported) {
          this.stats.fallbacks++;
          return this.options.fallback.handle(request, handlerOptions);
        }
        if ((err as { stale?: boolean }).stale && attempt === 0) continue;
        throw err;
      }
    }
  }

  private key = (o: Origin) => `${o.protocol}//${o.host}:${o.port}`;

  private take(origin: Origin): GetConnection | undefined {
    const list = this.idle.get(this.key(origin));
    for (let conn = list?.pop(); conn; conn = list?.pop()) {
      if (conn.closed) continue;
      conn.socket.ref();
      return conn;
    }
    return undefined;
  }

  private open(origin: Origin): GetConnection {
    this.stats.connections++;
    const conn = new GetConnection(origin, this.timeouts);
    const key = this.key(origin);
    conn.onIdle = (c) => {
      const list = this.idle.get(key) ?? [];
      if (this.destroyed || list.length >= (this.options.maxIdle ?? 32)) return c.close();
      // An idle connection must not keep the process alive; it closes itself after idleMs.
      c.socket.unref();
      c.socket.setTimeout(this.options.idleMs ?? 4_000);
      list.push(c);
      this.idle.set(key, list);
    };
    conn.onGone = (c) => {
      const list = this.idle.get(key);
      const at = list?.indexOf(c) ?? -1;
      if (at >= 0) list!.splice(at, 1);
    };
    return conn;
  }

  updateHttpClientConfig(key: never, value: never): void {
    this.options.fallback.updateHttpClientConfig(key, value);
  }

  httpHandlerConfigs() {
    return this.options.fallback.httpHandlerConfigs();
  }

  destroy(): void {
    this.destroyed = true;
    for (const list of this.idle.values()) for (const conn of [...list]) conn.close();
    this.idle.clear();
    this.options.fallback.destroy?.();
  }
}

function hostOf(request: HttpRequest): string {
  const h = request.hostname;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/**
 * The request's head as written on the wire, or undefined when the request is not a GetObject
 * this reader sends (the fallback sends it), including anything it could not write verbatim.
 */
function requestHead(request: HttpRequest): string | undefined {
  if (request.method !== 'GET' || request.query?.['x-id'] !== 'GetObject' || request.body !== undefined) return undefined;
  if ((request.protocol !== 'http:' && request.protocol !== 'https:') || request.username || request.password || request.fragment) return undefined;
  const query = buildQueryString(request.query);
  const target = query ? `${request.path}?${query}` : request.path;
  if (!PATH.test(target)) return undefined;
  let head = `GET ${target} HTTP/1.1\r\n`;
  let host = false;
  for (const [name, value] of Object.entries(request.headers)) {
    if (!HTTP_TOKEN.test(name) || !HTTP_FIELD_VALUE.test(value)) return undefined;
    if (name.toLowerCase() === 'host') host = true;
    head += `${name}: ${value}\r\n`;
  }
  if (!host) head += `host: ${request.hostname}${request.port ? `:${request.port}` : ''}\r\n`;
  return `${head}\r\n`;
}
