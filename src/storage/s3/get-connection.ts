/**
 * One keep-alive HTTP/1.1 connection of the GetObject reader (get-object-handler.ts), reading
 * its socket below node:http: net's `onread` puts every socket read straight into a buffer this
 * file chooses, so a body is read into the pool of read-buffers.ts (256 KiB buffers that go
 * round) instead of a fresh 64 KiB ArrayBuffer per read, which is what made node:http's reader
 * cost 1.6-1.7 ms of CPU per MB (bench/README.md "Pull and push on S3").
 *
 * The rules that keep the bytes exact:
 * - The socket reads into exactly one buffer at a time, and only ever into bytes nobody has
 *   been given: the head buffer (private to the connection, never pooled) while a response head
 *   is awaited or the connection is idle, else the unfilled rest of the current body buffer,
 *   never more than the body's remaining length (so no read runs past the body's end).
 * - A body buffer is pushed to the body stream only when it is full or the body is complete,
 *   and in the same step the socket is handed the next buffer (net asks for it right after the
 *   read callback returns): a pushed buffer is never written again by this connection, so the
 *   pool may take it back once the response has sent it.
 * - The body ends (push(null)) only after exactly Content-Length bytes. The connection closing,
 *   resetting or staying silent past the inactivity timeout before that is an error on the body
 *   stream, never a short success.
 * - Bytes that arrive outside a response (past a body, or on an idle connection) end the
 *   connection: it is never reused once its framing is in doubt.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsOptions } from 'node:tls';
import { Readable } from 'node:stream';
import { readBuffers } from '../read-buffers.ts';
import { parseResponseHead } from './http1-head.ts';

/** Room for a response head; a longer one is sent through node:http instead. */
const HEAD_BYTES = 32 * 1024;
/**
 * Bodies up to this size are read into one buffer of their exact size and pushed whole: the
 * registry reads such blobs whole before sending (src/storage/verified-read.ts), so pooled
 * buffers would never come back from them.
 */
const WHOLE_BODY_BYTES = 1024 * 1024;
/** Two pooled buffers read ahead of the consumer before the socket is paused. */
const BODY_HIGH_WATER_MARK = 2 * 256 * 1024;
const BLANK_LINE = Buffer.from('\r\n\r\n', 'latin1');

export interface Origin {
  protocol: 'http:' | 'https:';
  host: string;
  port: number;
}

export interface ConnectionTimeouts {
  /** ms to establish the connection (TCP, and TLS for https). */
  connectTimeout: number;
  /** ms of silence from the server while a request waits for it (head or body). */
  socketTimeout: number;
  /** Extra TLS options (a test's CA). */
  tls?: TlsOptions;
}

export interface Answer {
  status: number;
  reason: string;
  headers: Record<string, string>;
  body: Readable;
}

/** The response is valid HTTP this reader does not frame: send the request through node:http. */
export class Unsupported extends Error {
  override name = 'Unsupported';
}

const errorWith = (message: string, props: { name?: string; code?: string; stale?: boolean }) => Object.assign(new Error(message), props);
const timeoutError = (message: string) => errorWith(message, { name: 'TimeoutError', code: 'ETIMEDOUT' });

interface Exchange {
  phase: 'head' | 'body';
  resolve(answer: Answer): void;
  reject(err: Error): void;
  /** A response byte arrived (a failure before that on a reused connection may be a stale one). */
  answered: boolean;
  keepAlive: boolean;
  contentLength: number;
  remaining: number;
  body?: BodyStream;
  buf?: Buffer;
  filled: number;
  paused: boolean;
}

class BodyStream extends Readable {
  constructor(private readonly conn: GetConnection) {
    super({ highWaterMark: BODY_HIGH_WATER_MARK });
  }
  override _read(): void {
    this.conn.resumeBody(this);
  }
  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.conn.bodyDestroyed(this);
    done(err);
  }
}

export class GetConnection {
  readonly socket: Socket;
  private readonly head = Buffer.allocUnsafeSlow(HEAD_BYTES);
  private headLen = 0;
  private ex: Exchange | undefined;
  /** Exchanges completed on this connection. */
  exchanges = 0;
  closed = false;
  /** Called when an exchange completed and the connection can carry another. */
  onIdle?: (conn: GetConnection) => void;
  /** Called once when the connection is closed for good. */
  onGone?: (conn: GetConnection) => void;

  constructor(
    readonly origin: Origin,
    private readonly timeouts: ConnectionTimeouts,
  ) {
    const onread = { buffer: () => this.nextBuffer(), callback: (n: number) => this.onRead(n) };
    const host = origin.host;
    this.socket =
      origin.protocol === 'https:'
        ? // tls.connect takes net's `onread` (Node's own TLS tests use it); its types omit it.
          tlsConnect({ host, port: origin.port, onread, ALPNProtocols: ['http/1.1'], ...(isIP(host) ? {} : { servername: host }), ...timeouts.tls } as TlsOptions)
        : netConnect({ host, port: origin.port, onread });
    this.socket.setNoDelay(true);
    const connectTimer = setTimeout(() => this.fail(timeoutError(`the S3 endpoint ${host}:${origin.port} did not accept a connection within ${timeouts.connectTimeout} ms`)), timeouts.connectTimeout);
    this.socket.once(origin.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
    this.socket.once('close', () => clearTimeout(connectTimer));
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('end', () => this.fail(errorWith('the S3 server closed the connection', { code: 'ECONNRESET', stale: true })));
    this.socket.on('close', () => this.fail(errorWith('the connection to the S3 server closed', { code: 'ECONNRESET', stale: true })));
    this.socket.on('timeout', () => {
      if (!this.ex) this.close(); // idle long enough
      else this.fail(timeoutError(`the S3 server sent nothing for ${this.timeouts.socketTimeout} ms`));
    });
  }

  /** Sends one request head (the request has no body) and resolves with the response's head. */
  async send(requestHead: string, signal?: AbortSignal): Promise<Answer> {
    if (this.ex || this.closed) throw new Error('GetConnection.send on a busy or closed connection');
    const answer = new Promise<Answer>((resolve, reject) => {
      this.ex = { phase: 'head', resolve, reject, answered: false, keepAlive: false, contentLength: 0, remaining: 0, filled: 0, paused: false };
    });
    const onAbort = () => this.fail(errorWith('Request aborted', { name: 'AbortError' }));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      this.headLen = 0;
      this.socket.setTimeout(this.timeouts.socketTimeout);
      // Written at once, even while connecting (net holds it); every failure, the connection's
      // included, rejects `answer`.
      this.socket.write(requestHead, 'latin1');
      return await answer;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Ends the connection without failing anything (idle, or after an exchange). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.onGone?.(this);
  }

  private fail(err: Error & { stale?: boolean; code?: string }): void {
    const ex = this.ex;
    this.ex = undefined;
    this.close();
    if (!ex) return;
    if (ex.phase === 'head') {
      // Only a connection that served before, closed or reset before any answer byte, may have
      // been closed by the server while idle: the handler tries once more on a new one.
      const closed = err.stale === true || err.code === 'ECONNRESET' || err.code === 'EPIPE';
      err.stale = closed && this.exchanges > 0 && !ex.answered;
      ex.reject(err);
    } else {
      const got = ex.contentLength - ex.remaining;
      ex.body!.destroy(Object.assign(new Error(`the S3 response body ended after ${got} of ${ex.contentLength} bytes: ${err.message}`), { code: (err as { code?: string }).code ?? 'ECONNRESET', cause: err }));
    }
  }

  /** The buffer the socket's next read goes into (net calls this after each read). */
  private nextBuffer(): Buffer {
    const ex = this.ex;
    if (ex?.phase === 'body' && ex.buf) return ex.buf.subarray(ex.filled, ex.filled + Math.min(ex.buf.length - ex.filled, ex.remaining));
    // A full head buffer has failed the exchange and closed the socket: nothing reads into it.
    return this.headLen < HEAD_BYTES ? this.head.subarray(this.headLen) : this.head;
  }

  private onRead(n: number): boolean {
    const ex = this.ex;
    if (!ex) {
      this.close();
      return false;
    }
    ex.answered = true;
    if (ex.phase === 'body') {
      ex.filled += n;
      ex.remaining -= n;
      return this.deliver(ex);
    }
    const searchFrom = Math.max(0, this.headLen - 3);
    this.headLen += n;
    const end = this.head.subarray(0, this.headLen).indexOf(BLANK_LINE, searchFrom);
    if (end < 0) {
      if (this.headLen === HEAD_BYTES) this.fail(new Unsupported(`a response head over ${HEAD_BYTES} bytes`));
      return true;
    }
    const parsed = parseResponseHead(this.head.toString('latin1', 0, end));
    if (parsed.kind !== 'ok') {
      this.fail(parsed.kind === 'unsupported' ? new Unsupported(parsed.why) : errorWith(`invalid response from the S3 server: ${parsed.why}`, { name: 'S3ProtocolError' }));
      return false;
    }
    const early = this.headLen - end - BLANK_LINE.length;
    // Bytes past the body in the head's read: the body is framed by Content-Length, the rest is
    // not a response this connection asked for, so it is not reused.
    ex.keepAlive = parsed.keepAlive && early <= parsed.contentLength;
    ex.contentLength = ex.remaining = parsed.contentLength;
    ex.phase = 'body';
    ex.body = new BodyStream(this);
    if (ex.remaining > 0) {
      ex.buf = this.bodyBuffer(ex);
      ex.filled = this.head.copy(ex.buf, 0, end + BLANK_LINE.length, end + BLANK_LINE.length + Math.min(early, ex.remaining));
      ex.remaining -= ex.filled;
    }
    ex.resolve({ status: parsed.status, reason: parsed.reason, headers: parsed.headers, body: ex.body });
    return this.deliver(ex);
  }

  private bodyBuffer(ex: Exchange): Buffer {
    return ex.contentLength <= WHOLE_BODY_BYTES ? Buffer.allocUnsafeSlow(ex.contentLength) : readBuffers.take();
  }

  /** Pushes the current body buffer once full or complete; returns false to pause the socket. */
  private deliver(ex: Exchange): boolean {
    let more = true;
    const buf = ex.buf;
    if (buf && ex.filled > 0 && (ex.filled === buf.length || ex.remaining === 0)) {
      // The socket is handed the next buffer (nextBuffer) before it reads again.
      ex.buf = ex.remaining > 0 ? this.bodyBuffer(ex) : undefined;
      const chunk = ex.filled === buf.length ? buf : buf.subarray(0, ex.filled);
      ex.filled = 0;
      more = ex.body!.push(chunk);
      if (this.ex !== ex) return false; // the consumer destroyed the body meanwhile
    }
    if (ex.remaining === 0) {
      this.ex = undefined;
      this.headLen = 0;
      this.exchanges++;
      this.socket.setTimeout(0);
      ex.body!.push(null);
      if (ex.keepAlive && !this.closed) this.onIdle?.(this);
      else this.close();
      return true;
    }
    if (!more) {
      // Waiting for the consumer is not the server's silence: no inactivity timeout meanwhile.
      ex.paused = true;
      this.socket.setTimeout(0);
    }
    return more;
  }

  resumeBody(body: BodyStream): void {
    const ex = this.ex;
    if (!ex || ex.body !== body || !ex.paused) return;
    ex.paused = false;
    this.socket.setTimeout(this.timeouts.socketTimeout);
    this.socket.resume();
  }

  bodyDestroyed(body: BodyStream): void {
    // Destroyed by its consumer before its end: the rest of the body is still on the wire.
    if (this.ex?.body === body) {
      this.ex = undefined;
      this.close();
    }
  }
}
