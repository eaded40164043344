/**
 * The server span of each request. Fastify asks for the request id (genReqId) before any hook
 * runs, so the span is started there and its trace id becomes the request id; the first
 * onRequest hook then runs the rest of the request (hooks, handler, the gate, queries, blob
 * calls) inside the span's context, and onResponse names it by route template and ends it.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { SpanStatusCode, context, trace, type Span } from '@opentelemetry/api';
import type { Tracing } from './tracing.ts';

const spans = new WeakMap<IncomingMessage, Span>();

export function tracedRequestId(tracing: Pick<Tracing, 'startRequestSpan'>) {
  return (req: IncomingMessage) => {
    const span = tracing.startRequestSpan(req);
    spans.set(req, span);
    return span.spanContext().traceId;
  };
}

export function installRequestTracing(app: FastifyInstance) {
  app.addHook('onRequest', (request, _reply, done) => {
    const span = spans.get(request.raw);
    if (!span) return done();
    context.with(trace.setSpan(context.active(), span), done);
  });
  const finish = (req: IncomingMessage, route: string | undefined, status: number | undefined, aborted: boolean) => {
    const span = spans.get(req);
    if (!span) return;
    spans.delete(req);
    if (route) {
      span.updateName(`${req.method} ${route}`);
      span.setAttribute('http.route', route);
    }
    if (status !== undefined) span.setAttribute('http.response.status_code', status);
    if (aborted) span.setStatus({ code: SpanStatusCode.ERROR, message: 'client aborted the request' });
    else if (status !== undefined && status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  app.addHook('onResponse', (request, reply, done) => {
    finish(request.raw, request.routeOptions.url, reply.statusCode, false);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    finish(request.raw, request.routeOptions.url, undefined, true);
    done();
  });
}
