/**
 * Per-request HTTP metrics: one counter increment and one histogram observation per request,
 * plus wire bytes. Kept tiny on purpose (bench/: metrics on vs off on manifest GET).
 *
 * Bytes are counted on the socket: what it read and wrote since the previous response on the
 * same connection ended (HTTP/1.1 requests on one connection run one after another), so a
 * request's count includes its headers, whether its body had a Content-Length or was chunked,
 * and bytes Node read before Fastify saw the request.
 */
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Metrics } from './metrics.ts';

const started = new WeakMap<FastifyRequest, number>();
const counted = new WeakMap<Socket, { read: number; written: number }>();

export function installHttpMetrics(app: FastifyInstance, metrics: Metrics) {
  app.addHook('onRequest', (request, _reply, done) => {
    started.set(request, performance.now());
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const start = started.get(request);
    if (start !== undefined) {
      // The template, never the path: `/v2/:name/manifests/:reference`. Unmatched paths share one label.
      const route = request.routeOptions.url ?? 'unmatched';
      const labels = { route, method: request.method, status: String(reply.statusCode) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, (performance.now() - start) / 1000);
      const socket = request.raw.socket;
      if (socket) {
        const previous = counted.get(socket) ?? { read: 0, written: 0 };
        const now = { read: socket.bytesRead, written: socket.bytesWritten };
        counted.set(socket, now);
        metrics.httpBytesIn.inc({ route }, Math.max(0, now.read - previous.read));
        metrics.httpBytesOut.inc({ route }, Math.max(0, now.written - previous.written));
      }
    }
    done();
  });
}
