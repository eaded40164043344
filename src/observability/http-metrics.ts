/**
 * Per-request HTTP metrics: one counter increment and one histogram observation per request,
 * plus wire bytes. Kept tiny on purpose (bench/metrics-cost.ts: metrics on vs off on manifest
 * GET): one onResponse hook (the duration is Fastify's own `reply.elapsedTime`, so there is no
 * onRequest hook and no per-request map), and keyed series (keyed-metrics.ts).
 *
 * Bytes are counted on the socket: what it read and wrote since the previous response on the
 * same connection ended (HTTP/1.1 requests on one connection run one after another), so a
 * request's count includes its headers, whether its body had a Content-Length or was chunked,
 * and bytes Node read before Fastify saw the request.
 */
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.ts';

const counted = new WeakMap<Socket, { read: number; written: number }>();

export function installHttpMetrics(app: FastifyInstance, metrics: Metrics) {
  app.addHook('onResponse', (request, reply, done) => {
    // The template, never the path: `/v2/:name/manifests/:reference`. Unmatched paths share one label.
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = { route, method: request.method, status: String(reply.statusCode) };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    const socket = request.raw.socket;
    if (socket) {
      let seen = counted.get(socket);
      if (!seen) {
        seen = { read: 0, written: 0 };
        counted.set(socket, seen);
      }
      const read = socket.bytesRead;
      const written = socket.bytesWritten;
      metrics.httpBytesIn.inc({ route }, Math.max(0, read - seen.read));
      metrics.httpBytesOut.inc({ route }, Math.max(0, written - seen.written));
      seen.read = read;
      seen.written = written;
    }
    done();
  });
}
