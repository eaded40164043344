/**
 * Per-request HTTP metrics: one counter increment and one histogram observation per request,
 * plus wire bytes. Kept tiny on purpose (bench/metrics-cost.ts: metrics on vs off on manifest
 * GET):
 * - They are recorded where Fastify already reports every finished request, its LogController's
 *   `requestCompleted` (called for every response, the 404 handler's included, after the
 *   onResponse hooks), so metrics add no hook to the request's lifecycle. The duration is
 *   Fastify's own `reply.elapsedTime`.
 * - The series are bound once per route template (a Map lookup by the route's own URL string)
 *   and then per method and status code (two small Maps), so a request adds numbers to series
 *   it already holds: no label object, no series key built per request (keyed-metrics.ts).
 *
 * Bytes are counted on the socket: what it read and wrote since the previous response on the
 * same connection ended (HTTP/1.1 requests on one connection run one after another), so a
 * request's count includes its headers, whether its body had a Content-Length or was chunked,
 * and bytes Node read before Fastify saw the request.
 */
import type { Socket } from 'node:net';
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

type LogControllerOptions = ConstructorParameters<typeof LogController>[0];
import type { Metrics } from './metrics.ts';
import type { CounterSeries, HistogramSeries } from './keyed-metrics.ts';

interface Answered {
  requests: CounterSeries;
  duration: HistogramSeries;
}

/** One route template's series, created on its first request. */
class RouteSeries {
  readonly bytesIn: CounterSeries;
  readonly bytesOut: CounterSeries;
  private readonly byMethod = new Map<string, Map<number, Answered>>();

  constructor(
    private readonly metrics: Metrics,
    private readonly route: string,
  ) {
    this.bytesIn = metrics.httpBytesIn.child({ route });
    this.bytesOut = metrics.httpBytesOut.child({ route });
  }

  answered(method: string, status: number): Answered {
    let byStatus = this.byMethod.get(method);
    if (!byStatus) {
      byStatus = new Map();
      this.byMethod.set(method, byStatus);
    }
    let series = byStatus.get(status);
    if (!series) {
      const labels = { route: this.route, method, status: String(status) };
      series = { requests: this.metrics.httpRequests.child(labels), duration: this.metrics.httpDuration.child(labels) };
      byStatus.set(status, series);
    }
    return series;
  }
}

/** Fastify's LogController (its request log lines unchanged) that also records the HTTP metrics. */
class MeasuringLogController extends LogController {
  private readonly routes = new Map<string, RouteSeries>();
  private readonly counted = new WeakMap<Socket, { read: number; written: number }>();

  constructor(
    private readonly metrics: Metrics,
    options: LogControllerOptions,
  ) {
    super(options);
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>) {
    this.record(request, reply);
    super.requestCompleted(error, request, reply, metadata);
  }

  private record(request: FastifyRequest, reply: FastifyReply) {
    // The template, never the path: `/v2/:name/manifests/:reference`. Unmatched paths share one label.
    const route = request.routeOptions.url ?? 'unmatched';
    let series = this.routes.get(route);
    if (!series) {
      series = new RouteSeries(this.metrics, route);
      this.routes.set(route, series);
    }
    const answered = series.answered(request.method, reply.statusCode);
    answered.requests.inc();
    answered.duration.observe(reply.elapsedTime / 1000);
    const socket = request.raw.socket;
    if (socket) {
      let seen = this.counted.get(socket);
      if (!seen) {
        seen = { read: 0, written: 0 };
        this.counted.set(socket, seen);
      }
      const read = socket.bytesRead;
      const written = socket.bytesWritten;
      series.bytesIn.inc(Math.max(0, read - seen.read));
      series.bytesOut.inc(Math.max(0, written - seen.written));
      seen.read = read;
      seen.written = written;
    }
  }
}

/** The app's LogController: with metrics on, one that records the HTTP metrics too. */
export function logController(metrics: Metrics | undefined, options: LogControllerOptions): LogController {
  return metrics ? new MeasuringLogController(metrics, options) : new LogController(options);
}
