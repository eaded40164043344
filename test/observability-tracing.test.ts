/**
 * Tracing with a real OTLP/HTTP receiver (an HTTP server in this test): with `otel.endpoint`
 * set, a pull's server span, its gate check, its database queries and its blob-store calls
 * arrive, parented under the request's span and continuing the caller's W3C traceparent; the
 * request id in the response and in the log lines is the trace id. Without `otel.endpoint`
 * nothing is exported and request ids stay UUIDs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { request } from 'undici';
import { loadConfig } from '../src/config/load.ts';
import { createServices } from '../src/services.ts';
import { buildApp } from '../src/app.ts';
import { pushImage } from './helpers/quarantine-fixtures.ts';
import { startTestServer } from './helpers/server.ts';

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, unknown>;
}

async function startOtlpReceiver() {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      contentTypes.push(String(req.headers['content-type']));
      if (req.url === '/v1/traces' && req.method === 'POST') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        for (const rs of body.resourceSpans ?? [])
          for (const ss of rs.scopeSpans ?? [])
            for (const s of ss.spans ?? [])
              spans.push({
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId || undefined,
                name: s.name,
                attributes: Object.fromEntries((s.attributes ?? []).map((a: any) => [a.key, Object.values(a.value)[0]])),
              });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/v1/traces`, spans, contentTypes, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test('with otel.endpoint: request, gate, database and blob-store spans arrive under the caller trace; request ids are trace ids in responses and logs', async () => {
  const receiver = await startOtlpReceiver();
  const dataDir = mkdtempSync(join(tmpdir(), 'lazaret-otel-'));
  const lines: any[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  const config = loadConfig({ env: {}, overrides: { listen: '127.0.0.1:0', dataDir, 'auth.mode': 'none', 'otel.endpoint': receiver.url, 'log.level': 'info' } });
  const services = await createServices(config, pino({ level: 'info' }, sink));
  const app = await buildApp(services);
  await services.start();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  let closed = false;
  try {
    const image = await pushImage(url, 'otel/app', { seed: 'otel-1', tag: 'v1' });
    const traceId = randomBytes(16).toString('hex');
    const parentId = randomBytes(8).toString('hex');
    const res = await request(`${url}/v2/otel/app/blobs/${image.layers[0]}`, { headers: { traceparent: `00-${traceId}-${parentId}-01` } });
    assert.equal(res.statusCode, 200);
    await res.body.text();
    assert.equal(res.headers['x-request-id'], traceId, 'the request id is the caller trace id');

    await app.close();
    await services.close(); // flushes the batch
    closed = true;

    const inTrace = receiver.spans.filter((s) => s.traceId === traceId);
    const server = inTrace.find((s) => s.name === 'GET /v2/:name/blobs/:digest');
    assert.ok(server, `server span missing; got ${inTrace.map((s) => s.name).join(', ')}`);
    assert.equal(server.parentSpanId, parentId, 'continues the caller span');
    assert.equal(server.attributes['http.response.status_code'], 200);
    const children = inTrace.filter((s) => s.parentSpanId === server.spanId).map((s) => s.name);
    assert.ok(children.includes('gate.blob_read'), `gate span missing: ${children}`);
    assert.ok(children.some((n) => n.startsWith('blob_store.')), `blob store span missing: ${children}`);
    assert.ok(inTrace.some((s) => s.name === 'db.select'), 'database spans');
    assert.ok(receiver.contentTypes.every((t) => t.startsWith('application/json')));
    const requestLogs = lines.filter((l) => l.requestId === traceId);
    assert.ok(requestLogs.length >= 1, 'log lines of the request carry the trace id as requestId');
    // Every request is traced: each request id of the push appears as a trace id.
    const pushIds = new Set(lines.filter((l) => l.req?.method === 'PUT').map((l) => l.requestId));
    assert.ok(pushIds.size >= 1);
    for (const id of pushIds) assert.ok(receiver.spans.some((s) => s.traceId === id), `request ${id} has its trace`);
  } finally {
    if (!closed) {
      await app.close();
      await services.close();
    }
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('without otel.endpoint: no tracing, request ids stay UUIDs', async () => {
  const s = await startTestServer({ 'auth.mode': 'none' });
  try {
    assert.equal(s.services.observability.tracing, undefined);
    const res = await request(`${s.url}/v2/`);
    await res.body.text();
    assert.match(String(res.headers['x-request-id']), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  } finally {
    await s.close();
  }
});
