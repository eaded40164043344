/**
 * A minimal keep-alive load generator on raw sockets for HEAD requests (wrk 4.1 mishandles
 * HEAD). A HEAD response ends at the blank line after its headers, so each lane writes one
 * pre-encoded request, waits for "\r\n\r\n", checks the status and sends the next: no
 * parser, no allocation per request beyond the socket's own buffers.
 */
import { connect, type Socket } from 'node:net';
import type { LoadResult } from './wrk.ts';

const END = Buffer.from('\r\n\r\n');

export async function runHeadLoad(options: { host: string; port: number; path: string; headers?: Record<string, string>; connections: number; seconds: number }): Promise<LoadResult> {
  const headerLines = Object.entries({ host: `${options.host}:${options.port}`, ...options.headers }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  const request = Buffer.from(`HEAD ${options.path} HTTP/1.1\r\n${headerLines}\r\n`);
  const start = performance.now();
  const deadline = start + options.seconds * 1000;
  let requests = 0;
  let errors = 0;
  const latencies: number[] = [];

  const lane = () => new Promise<void>((resolve) => {
    const socket: Socket = connect({ host: options.host, port: options.port, noDelay: true });
    let pending: Buffer = Buffer.alloc(0);
    let sentAt = 0;
    const send = () => {
      if (performance.now() >= deadline) {
        socket.end();
        return resolve();
      }
      sentAt = performance.now();
      socket.write(request);
    };
    socket.on('connect', send);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let end: number;
      while ((end = pending.indexOf(END)) !== -1) {
        // Status line: "HTTP/1.1 200 OK"
        const status = Number(pending.toString('latin1', 9, 12));
        if (status < 200 || status >= 400) errors++;
        requests++;
        if ((requests & 15) === 0) latencies.push(performance.now() - sentAt);
        pending = pending.subarray(end + END.length);
        send();
      }
    });
    socket.on('error', () => {
      errors++;
      resolve();
    });
    socket.on('close', () => resolve());
  });

  await Promise.all(Array.from({ length: options.connections }, lane));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] : undefined);
  return { requests, seconds, errors, p50Ms: pct(0.5), p99Ms: pct(0.99) };
}
