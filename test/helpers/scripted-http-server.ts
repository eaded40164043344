/**
 * A TCP server that answers HTTP requests with whatever bytes a test scripts, for the failure
 * paths of the S3 GetObject reader (a body cut short, a wrong Content-Length, a server that
 * says nothing, a stale keep-alive connection): no HTTP library in between to tidy them up.
 * It reads each request (a body framed by Content-Length is read whole first; `Expect:
 * 100-continue` is answered) and calls `script` for it.
 */
import net from 'node:net';

export interface ScriptedRequest {
  /** The request line, e.g. `GET /bucket/key?x-id=GetObject HTTP/1.1`. */
  line: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** The request's body (empty without Content-Length). */
  body: Buffer;
  /** Position among all requests the server received (0-based). */
  index: number;
  /** Which connection it came on (0-based, in accept order), and its position there. */
  connection: number;
  onConnection: number;
}

export type Script = (request: ScriptedRequest, socket: net.Socket) => void;

export interface ScriptedServer {
  endpoint: string;
  port: number;
  requests: ScriptedRequest[];
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

export async function startScriptedServer(script: Script): Promise<ScriptedServer> {
  const requests: ScriptedRequest[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    const connection = connections++;
    let onConnection = 0;
    let pending = Buffer.alloc(0);
    let waiting: { request: Omit<ScriptedRequest, 'body'>; length: number } | undefined;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        if (waiting) {
          if (pending.length < waiting.length) return;
          const request = { ...waiting.request, body: pending.subarray(0, waiting.length) };
          pending = pending.subarray(waiting.length);
          waiting = undefined;
          requests.push(request);
          script(request, socket);
          continue;
        }
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const [line = '', ...fields] = pending.subarray(0, end).toString('latin1').split('\r\n');
        pending = pending.subarray(end + 4);
        const headers: Record<string, string> = {};
        for (const f of fields) {
          const colon = f.indexOf(':');
          headers[f.slice(0, colon).trim().toLowerCase()] = f.slice(colon + 1).trim();
        }
        if (headers.expect?.toLowerCase() === '100-continue') socket.write('HTTP/1.1 100 Continue\r\n\r\n');
        waiting = { request: { line, headers, index: requests.length, connection, onConnection: onConnection++ }, length: Number(headers['content-length'] ?? 0) };
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    requests,
    get connections() {
      return connections;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A response head with Content-Length, as a minimal S3 server writes it. */
export function head(status: number, length: number, extra: Record<string, string> = {}): string {
  const fields = Object.entries({ 'Content-Length': String(length), ETag: '"0123456789abcdef0123456789abcdef"', 'Last-Modified': 'Thu, 03 Dec 2026 10:00:00 GMT', ...extra });
  return `HTTP/1.1 ${status} ${status === 200 ? 'OK' : 'Status'}\r\n${fields.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}
