/**
 * The Harbor Pluggable Scanner API, server side (docs/scanner.md):
 *   GET  /api/v1/metadata              scanner, capabilities, database properties and health
 *   POST /api/v1/scan                  202 {id}; 400 / 422 for bad requests
 *   GET  /api/v1/scan/{id}/report      302 + Refresh-After while pending, 200 report, 500 failed,
 *                                      404 unknown, 501 for an Accept it does not produce
 * plus /probe/healthy and /probe/ready (ready = a vulnerability database is loaded).
 * Errors are `{"error":{"message"}}` with the adapter error MIME type.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SCANNER_MIME, CONSUMED_MIME_TYPES } from '../report/mime-types.ts';
import type { ScannerIdentity } from '../report/harbor-reports.ts';
import type { VulnDatabase } from '../types.ts';
import type { JobStore } from './job-store.ts';
import type { ScanRunner } from './scan-runner.ts';
import { isAuthorized } from './scanner-auth.ts';
import { parseScanRequest, SBOM_MEDIA_TYPES, ScanRequestError } from './scan-request.ts';
import type { ScannerServerConfig } from './server-config.ts';

export interface AdapterDeps {
  config: ScannerServerConfig;
  store: JobStore;
  runner: ScanRunner;
  database: () => VulnDatabase;
  scanner: ScannerIdentity;
}

/** Sends JSON with exactly this Content-Type (a Buffer, so Fastify adds no charset and quotes nothing). */
function sendJson(reply: FastifyReply, status: number, mime: string, body: unknown) {
  return reply.code(status).header('content-type', mime).send(Buffer.from(JSON.stringify(body)));
}

function sendError(reply: FastifyReply, status: number, message: string) {
  return sendJson(reply, status, SCANNER_MIME.error, { error: { message } });
}

/** The health line of /metadata and /probe/ready. */
export function healthOf(db: VulnDatabase): { ready: boolean; message: string } {
  const s = db.status();
  return s.loaded
    ? { ready: true, message: `ok: ${s.advisories} advisories from ${s.sources.join(', ') || 'no sources'}` }
    : { ready: false, message: 'no vulnerability database loaded: vulnerability scans fail until `lazaret scanner db import` runs; SBOMs are produced' };
}

export function registerAdapterRoutes(app: FastifyInstance, deps: AdapterDeps): void {
  const { store, runner, config } = deps;

  // Bodies of any content type are read as text (Harbor sends the scan request MIME type, the Trivy adapter ignores it).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_req, body, done) => done(null, body));

  app.addHook('onRequest', async (req, reply) => {
    if (req.url.startsWith('/probe/')) return;
    if (!isAuthorized(config.auth, req.headers)) {
      reply.header('www-authenticate', 'Bearer realm="lazaret-scanner"');
      return sendError(reply, 401, 'unauthorized: send the configured X-ScannerAdapter-API-Key, Bearer token or Basic credential');
    }
  });

  app.setNotFoundHandler((_req, reply) => sendError(reply, 404, 'not found'));
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    return sendError(reply, status, status === 500 ? 'internal error' : err.message);
  });

  app.get('/probe/healthy', async (_req, reply) => reply.code(200).send({ status: 'ok' }));
  app.get('/probe/ready', async (_req, reply) => {
    const h = healthOf(deps.database());
    return reply.code(h.ready ? 200 : 503).send({ status: h.ready ? 'ok' : 'not ready', message: h.message });
  });

  app.get('/api/v1/metadata', async (_req, reply) => {
    const db = deps.database();
    const status = db.status();
    const health = healthOf(db);
    const properties: Record<string, string> = {
      'harbor.scanner-adapter/scanner-type': 'os-package-vulnerability',
      'lazaret.scanner/health': health.message,
      'lazaret.scanner/vulnerability-database-loaded': String(status.loaded),
    };
    if (status.builtAt) properties['harbor.scanner-adapter/vulnerability-database-updated-at'] = status.builtAt;
    if (status.importedAt) properties['lazaret.scanner/vulnerability-database-imported-at'] = status.importedAt;
    if (status.sources.length) properties['lazaret.scanner/vulnerability-database-sources'] = status.sources.join(',');
    const body = {
      scanner: deps.scanner,
      capabilities: [
        { type: 'vulnerability', consumes_mime_types: CONSUMED_MIME_TYPES, produces_mime_types: [SCANNER_MIME.vulnerabilityReport] },
        { type: 'sbom', consumes_mime_types: CONSUMED_MIME_TYPES, produces_mime_types: [SCANNER_MIME.sbomReport], additional_attributes: { sbom_media_types: SBOM_MEDIA_TYPES } },
      ],
      properties,
    };
    return sendJson(reply, 200, SCANNER_MIME.metadata, body);
  });

  app.post('/api/v1/scan', async (req: FastifyRequest, reply) => {
    let request;
    try {
      request = parseScanRequest(typeof req.body === 'string' ? req.body : '');
    } catch (err) {
      if (err instanceof ScanRequestError) return sendError(reply, err.status, err.message);
      throw err;
    }
    const id = store.create(request);
    runner.submit(id);
    return sendJson(reply, 202, SCANNER_MIME.scanResponse, { id });
  });

  app.get('/api/v1/scan/:id/report', async (req: FastifyRequest<{ Params: { id: string }; Querystring: { sbom_media_type?: string } }>, reply) => {
    const accept = String(req.headers.accept ?? '').trim();
    const wants = accept === SCANNER_MIME.vulnerabilityReport ? 'vulnerability' : accept === SCANNER_MIME.sbomReport ? 'sbom' : accept === '' || accept === '*/*' ? 'default' : undefined;
    if (!wants) return sendError(reply, 501, `unsupported Accept ${JSON.stringify(accept.slice(0, 200))}: ask for ${SCANNER_MIME.vulnerabilityReport} or ${SCANNER_MIME.sbomReport}`);
    const job = /^[0-9a-f-]{36}$/.test(req.params.id) ? store.get(req.params.id) : undefined;
    if (!job) return sendError(reply, 404, `scan ${JSON.stringify(req.params.id.slice(0, 100))} is unknown or expired`);
    if (job.state === 'queued' || job.state === 'running') {
      return reply.code(302).header('refresh-after', String(config.refreshAfterSeconds)).header('location', req.url).send();
    }
    if (job.state === 'failed' || !job.result) return sendError(reply, 500, job.error ?? 'the scan failed');
    const kind = wants === 'default' ? (job.request.capabilities.vulnerability ? 'vulnerability' : 'sbom') : wants;
    if (kind === 'vulnerability') {
      const v = job.result.vulnerability;
      if ('error' in v) return sendError(reply, 500, v.error);
      return sendJson(reply, 200, SCANNER_MIME.vulnerabilityReport, v.report);
    }
    const mediaType = req.query.sbom_media_type ?? job.request.capabilities.sbomMediaTypes[0] ?? SBOM_MEDIA_TYPES[0];
    const sbom = job.result.sboms[mediaType];
    if (!sbom) return sendError(reply, 422, `unsupported sbom_media_type ${JSON.stringify(mediaType.slice(0, 100))}`);
    return sendJson(reply, 200, SCANNER_MIME.sbomReport, sbom);
  });
}
