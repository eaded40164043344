/**
 * The one body rule of the JSON APIs (/api/v1 and /acr/v1, which the portal and the CLI call):
 * a request that changes state (POST, PUT, PATCH) must declare `Content-Type: application/json`,
 * also when its body is empty, and a DELETE may carry no other body. Anything else is 415
 * UNSUPPORTED before the body is read.
 *
 * Why: a browser sends `text/plain`, form and multipart POSTs to any site without a CORS
 * preflight, with credentials it remembers (Basic); `application/json` always needs a
 * preflight, which a cross-site page cannot pass. Without this a page elsewhere could
 * release an image (`POST /api/v1/quarantine/grandfather`, text/plain, empty body).
 *
 * An empty `application/json` body reads as no body (ARM-style POSTs such as webhook `ping`
 * send none); schemas still require a body where there must be one. JSON is parsed by
 * Fastify's own parser (it refuses `__proto__` and `constructor` poisoning).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { registryError } from '../errors/index.ts';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

export function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  return value.split(';')[0]!.trim().toLowerCase() === 'application/json';
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Installs the rule and the empty-tolerant JSON parser on an API's (encapsulated) scope. */
export function requireJsonBodies(scope: FastifyInstance) {
  scope.addHook('preParsing', async (request, _reply, payload) => {
    const contentType = request.headers['content-type'];
    const needsJson = BODY_METHODS.has(request.method) || (request.method === 'DELETE' && (hasBody(request) || contentType !== undefined));
    if (needsJson && !isJsonContentType(contentType)) {
      throw registryError('UNSUPPORTED_MEDIA_TYPE', `${request.method} needs Content-Type: application/json (an empty body included); got ${contentType ? JSON.stringify(contentType.slice(0, 100)) : 'none'}`);
    }
    return payload;
  });
  const parseJson = scope.getDefaultJsonParser('error', 'error');
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (String(body).trim() === '') return done(null, undefined);
    parseJson(request, body as string, done);
  });
}
