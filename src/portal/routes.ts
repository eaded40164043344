/**
 * The portal: serves the built single-page app (portal/dist) at /portal and sends browsers
 * from `/` to it. It serves static files only; every piece of data the portal shows comes from
 * the public APIs (/acr/v1, /v2, /api/v1, /oauth2) called by the browser with the signed-in
 * identity's own credentials, so the gate and the access checks apply to the portal unchanged.
 *
 * Every response under /portal carries a strict Content-Security-Policy (no inline script or
 * style, same-origin connections only, no framing).
 */
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import { registryError } from '../errors/index.ts';
import { DEFAULT_PORTAL_DIST, cacheControlOf, contentTypeOf, resolveStaticFile } from './static-files.ts';
import { declareRoutes, serve as serveRoute } from '../http/route-table.ts';

export const PORTAL_PREFIX = '/portal';

export const PORTAL_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export interface PortalOptions {
  /** Where the built portal lives; defaults to portal/dist in the repository. */
  distDir?: string;
}

const PUBLIC = { kind: 'public' } as const;

/** The portal's routes (the single-page app and its assets), declared once (src/http/route-table.ts). */
export const portalRoutes = declareRoutes({
  getPortalRedirect: { method: 'GET', url: '/portal', api: 'portal', access: PUBLIC, hidden: true, summary: 'Redirects to /portal/' },
  getPortal: { method: 'GET', url: '/portal/', api: 'portal', access: PUBLIC, summary: 'The portal (a single-page app; its API is /api/v1 and /acr/v1 with the signed-in token)' },
  getPortalFile: { method: 'GET', url: '/portal/*', api: 'portal', access: PUBLIC, hidden: true, summary: 'The portal\'s assets; client-side routes answer index.html' },
  getRoot: { method: 'GET', url: '/', api: 'portal', access: PUBLIC, hidden: true, summary: 'Browsers are sent to /portal/; API clients get the registry\'s 404' },
});

function securityHeaders(reply: FastifyReply) {
  reply.header('Content-Security-Policy', PORTAL_CSP);
  reply.header('X-Frame-Options', 'DENY');
  reply.header('Referrer-Policy', 'no-referrer');
  reply.header('Cross-Origin-Opener-Policy', 'same-origin');
  reply.header('Cross-Origin-Resource-Policy', 'same-origin');
  reply.header('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
}

function wantsHtml(request: FastifyRequest): boolean {
  return /\btext\/html\b/.test(request.headers.accept ?? '');
}

export function registerPortalRoutes(app: FastifyInstance, _services?: Services, options: PortalOptions = {}) {
  const distDir = options.distDir ?? DEFAULT_PORTAL_DIST;

  const send = (reply: FastifyReply, relativePath: string) => {
    const file = resolveStaticFile(distDir, relativePath);
    if (!file) return null;
    securityHeaders(reply);
    reply.header('Content-Type', contentTypeOf(file.path));
    reply.header('Content-Length', String(file.size));
    reply.header('Cache-Control', cacheControlOf(relativePath));
    reply.header('Last-Modified', file.mtime.toUTCString());
    return reply.send(createReadStream(file.path));
  };

  const serve = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!existsSync(join(distDir, 'index.html'))) {
      throw registryError('UNAVAILABLE', 'the portal is not built: run `npm run build:portal` (npm install does it too), then restart or reload');
    }
    // find-my-way has already percent-decoded the wildcard; resolveStaticFile checks it.
    const relative = (request.params as { '*'?: string })['*'] ?? '';
    if (relative !== '' && relative !== 'index.html') {
      const sent = send(reply, relative);
      if (sent) return sent;
      // A missing build artefact is a real 404; anything else is a client-side route.
      if (relative.startsWith('assets/') || /\.[a-z0-9]{1,5}$/i.test(relative)) {
        throw registryError('NOT_FOUND', `no portal file ${relative}`);
      }
    }
    return send(reply, 'index.html');
  };

  serveRoute(app, portalRoutes.getPortalRedirect, async (_request, reply) => reply.redirect(`${PORTAL_PREFIX}/`, 302));
  serveRoute(app, portalRoutes.getPortal, serve);
  serveRoute(app, portalRoutes.getPortalFile, serve);

  // `/` sends browsers to the portal; API clients keep the registry's 404 for an unknown path.
  serveRoute(app, portalRoutes.getRoot, async (request, reply) => {
    if (wantsHtml(request)) return reply.redirect(`${PORTAL_PREFIX}/`, 302);
    throw registryError('NOT_FOUND', 'no route for GET /');
  });
}
