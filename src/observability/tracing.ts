/**
 * OpenTelemetry tracing, on only when `otel.endpoint` is set (nothing of it is loaded into the
 * request path otherwise). Spans: the HTTP request (a server span, continuing an incoming W3C
 * `traceparent`), the gate's checks, every database query and every blob-store call, so a slow
 * pull shows where its time went. Exported over OTLP/HTTP (JSON) in batches.
 *
 * The request id (X-Request-Id, `requestId` in every request log line) IS the trace id when
 * tracing is on, so a log line leads to its trace and back.
 */
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { LazaretConfig } from '../config/schema.ts';
import type { QueryObserver } from '../metadata/db.ts';
import type { Around } from './around.ts';
import { LAZARET_VERSION } from '../package-info.ts';
import { statementKind } from './statement-kind.ts';
import { installRequestTracing, tracedRequestId } from './http-tracing.ts';
import type { FastifyInstance } from 'fastify';

export interface Tracing {
  readonly tracer: Tracer;
  /** Starts the server span of a request (continuing its traceparent) and returns it. */
  startRequestSpan(req: IncomingMessage): Span;
  /** Fastify's genReqId with tracing on: starts the request's span, returns its trace id. */
  requestId(req: IncomingMessage): string;
  /** Installs the hooks that run each request inside its span and end it. */
  installHttp(app: FastifyInstance): void;
  around(prefix: string, attributes: Attributes): Around;
  queryObserver(dialect: string): QueryObserver;
  /** Flushes what is buffered and stops exporting. */
  close(): Promise<void>;
}

let contextManagerInstalled = false;
const propagator = new W3CTraceContextPropagator();
const headerGetter = {
  keys: (carrier: IncomingMessage['headers']) => Object.keys(carrier),
  get: (carrier: IncomingMessage['headers'], key: string) => carrier[key],
};

export function createTracing(config: LazaretConfig['otel'], logger: Logger): Tracing {
  // Spans find their parent through the async context; one manager per process serves every
  // tracer provider (tests run several servers in one process).
  if (!contextManagerInstalled) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    contextManagerInstalled = true;
  }
  const exporter = new OTLPTraceExporter({ url: config.endpoint });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName, 'service.version': LAZARET_VERSION }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 })],
  });
  const tracer = provider.getTracer('lazaret', LAZARET_VERSION);
  logger.info({ endpoint: config.endpoint, sampleRatio: config.sampleRatio }, 'OpenTelemetry tracing on');

  const tracing: Tracing = {
    tracer,
    requestId: (req) => requestId(req),
    installHttp: (app) => installRequestTracing(app),
    startRequestSpan(req) {
      const parent = propagator.extract(ROOT_CONTEXT, req.headers, headerGetter);
      return tracer.startSpan(
        `${req.method ?? 'HTTP'}`,
        { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? '', 'url.path': (req.url ?? '').split('?')[0] ?? '' } },
        parent,
      );
    },
    around(prefix, attributes) {
      return (operation, fn) =>
        tracer.startActiveSpan(operation.startsWith(`${prefix}.`) ? operation : `${prefix}.${operation}`, { attributes }, async (span) => {
          try {
            return await fn();
          } catch (err) {
            span.recordException(err as Error);
            span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
            throw err;
          } finally {
            span.end();
          }
        });
    },
    queryObserver(dialect) {
      // Kysely reports a query after it ran: the span is recorded with its real start time, as
      // a child of whatever span was active when the query was issued.
      return ({ sql, durationMs, error }) => {
        const parent = context.active();
        if (!trace.getSpan(parent)) return; // a query outside any request or traced job
        const end = Date.now();
        const span = tracer.startSpan(
          `db.${statementKind(sql)}`,
          { kind: SpanKind.CLIENT, startTime: end - durationMs, attributes: { 'db.system.name': dialect === 'postgres' ? 'postgresql' : 'sqlite', 'db.query.text': sql } },
          parent,
        );
        if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
        span.end(end);
      };
    },
    async close() {
      await provider.shutdown().catch((err: unknown) => logger.warn({ err }, 'flushing traces at shutdown failed'));
    },
  };
  const requestId = tracedRequestId(tracing);
  return tracing;
}
