/**
 * The portal's static serving (src/portal/routes.ts) over real HTTP: content types, caching,
 * the strict CSP and framing headers, client-side routes, the `/` redirect for browsers only,
 * path traversal, public access in token mode, and the clear answer when the build is missing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { startTokenServer } from './helpers/identities.ts';
import type { TestServer } from './helpers/server.ts';
import { PORTAL_BUILT } from './helpers/portal.ts';
import { skipUnless } from './helpers/environment.ts';
import { installErrorHandling } from '../src/http/error-handler.ts';
import { installAuthHook } from '../src/http/auth-hook.ts';
import { noAuthentication } from '../src/auth/authenticator.ts';
import { PORTAL_CSP, registerPortalRoutes } from '../src/portal/routes.ts';

const skip = skipUnless(PORTAL_BUILT, 'portal/dist is missing: run `npm run build:portal`');

describe('portal static serving', { skip }, () => {
  let server: TestServer;
  before(async () => {
    server = await startTokenServer();
  });
  after(async () => {
    await server.close();
  });
  const get = (path: string, headers: Record<string, string> = {}) => fetch(server.url + path, { headers, redirect: 'manual' });

  test('index.html is served without credentials, with a strict CSP and no inline script', async () => {
    const res = await get('/portal/');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(res.headers.get('content-security-policy'), PORTAL_CSP);
    for (const directive of ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"]) {
      assert.ok(PORTAL_CSP.includes(directive), directive);
    }
    assert.ok(!/unsafe-inline|unsafe-eval/.test(PORTAL_CSP));
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    const html = await res.text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.ok(scripts.length > 0, 'the page loads a script');
    for (const [, attrs, body] of scripts) {
      assert.match(attrs!, /src="\/portal\/assets\/[^"]+\.js"/);
      assert.equal(body!.trim(), '', 'no inline script body');
    }
    assert.ok(!/\sstyle="/.test(html), 'no inline style attribute');
  });

  test('every asset index.html references is served with its content type and immutable caching', async () => {
    const html = await (await get('/portal/')).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/portal\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    assert.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')), `assets: ${assets.join(', ')}`);
    for (const asset of assets) {
      const res = await get(asset);
      assert.equal(res.status, 200, asset);
      assert.equal(res.headers.get('content-type'), asset.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8');
      assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.equal(res.headers.get('content-security-policy'), PORTAL_CSP);
      assert.ok(Number(res.headers.get('content-length')) > 0);
      assert.ok((await res.arrayBuffer()).byteLength > 0);
    }
    const icon = await get('/portal/favicon.svg');
    assert.equal(icon.status, 200);
    assert.equal(icon.headers.get('content-type'), 'image/svg+xml');
  });

  test('client-side routes under /portal answer index.html; /portal redirects to /portal/', async () => {
    const index = await (await get('/portal/')).text();
    for (const path of ['/portal/quarantine', '/portal/repositories/team-a/web', '/portal/repositories/team-a/web/-/manifests/sha256:abc', '/portal/webhooks/hook1?x=1']) {
      const res = await get(path);
      assert.equal(res.status, 200, path);
      assert.equal(await res.text(), index, path);
    }
    const bare = await get('/portal');
    assert.equal(bare.status, 302);
    assert.equal(bare.headers.get('location'), '/portal/');
    const head = await fetch(`${server.url}/portal/`, { method: 'HEAD' });
    assert.equal(head.status, 200);
  });

  test('/ redirects browsers to the portal and stays a registry 404 for API clients', async () => {
    const browser = await get('/', { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
    assert.equal(browser.status, 302);
    assert.equal(browser.headers.get('location'), '/portal/');
    for (const accept of ['application/json', '*/*']) {
      const api = await get('/', { accept });
      assert.equal(api.status, 404, accept);
      const body = (await api.json()) as { errors: { code: string; message: string }[] };
      assert.equal(body.errors[0]!.code, 'NOT_FOUND');
    }
  });

  test('missing files are 404 in the registry format; traversal never reaches the filesystem', async () => {
    const missing = await get('/portal/assets/nope-123.js');
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { errors: { code: string }[] }).errors[0]!.code, 'NOT_FOUND');
    const secret = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
    for (const path of ['/portal/..%2f..%2fpackage.json', '/portal/%2e%2e/%2e%2e/package.json', '/portal/assets/..%2f..%2f..%2fpackage.json', '/portal/.%2e/package.json']) {
      const res = await get(path);
      const text = await res.text();
      assert.ok(res.status === 404 || res.status === 400 || (res.status === 200 && text.startsWith('<!doctype html>')), `${path}: ${res.status}`);
      assert.ok(!text.includes('"devDependencies"') && text !== secret, `${path} leaked a file outside portal/dist`);
    }
  });
});

test('without a build, the portal answers 503 telling the operator to run npm run build:portal', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'lazaret-portal-'));
  const app = Fastify();
  installErrorHandling(app);
  installAuthHook(app, noAuthentication());
  await app.register(async (scope) => registerPortalRoutes(scope, undefined, { distDir: join(empty, 'dist') }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const { port } = app.server.address() as { port: number };
    for (const path of ['/portal/', '/portal/quarantine']) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      assert.equal(res.status, 503, path);
      const body = (await res.json()) as { errors: { code: string; message: string }[] };
      assert.equal(body.errors[0]!.code, 'UNAVAILABLE');
      assert.match(body.errors[0]!.message, /npm run build:portal/);
    }
  } finally {
    await app.close();
    rmSync(empty, { recursive: true, force: true });
  }
});
