/**
 * The route table (src/http/routes.ts) is the one list of routes: every route Fastify serves is
 * declared there with its access, every declaration is served, and the OpenAPI document is
 * built from it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ROUTE_TABLE } from '../src/http/routes.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';


let server: TestServer;
before(async () => {
  server = await startTestServer({ 'auth.mode': 'none', 'scanner.builtin': false });
});
after(() => server.close());

const methods = (m: string | string[]) => (Array.isArray(m) ? m : [m]);

test('every route Fastify serves is declared in the route table, with its access', () => {
  const declared = new Set(Object.values(ROUTE_TABLE));
  const undeclared: string[] = [];
  for (const r of server.app.registeredRoutes) {
    assert.ok(r.access, `${methods(r.method)} ${r.url} declares no access`);
    if (r.declared) {
      assert.ok(declared.has(r.declared), `${r.url}: its declaration is not in src/http/routes.ts`);
      assert.equal(r.declared.url, r.url);
      assert.deepEqual(r.access, r.declared.access);
      // A GET declaration also serves HEAD unless it says otherwise (Fastify's exposeHeadRoute).
      for (const m of methods(r.method)) assert.ok(methods(r.declared.method).includes(m as never) || (m === 'HEAD' && methods(r.declared.method).includes('GET')), `${m} ${r.url} is not declared`);
    } else {
      undeclared.push(`${methods(r.method).join(',')} ${r.url}`);
    }
  }
  assert.ok(server.app.registeredRoutes.filter((r) => r.declared).length >= 60, 'the /api/v1 routes are declared');
  assert.deepEqual(undeclared, [], 'routes registered without serve(app, <declaration>, handler): declare them (docs/architecture.md "Adding a route")');
});

test('every declared route is served', () => {
  const served = new Set(server.app.registeredRoutes.map((r) => r.declared).filter(Boolean));
  for (const [id, route] of Object.entries(ROUTE_TABLE)) assert.ok(served.has(route) || route.servedWhen, `${id} (${route.url}) is declared but not served`);
});

test('the OpenAPI document is generated from the table: every visible declaration, its access, public ones without security', async () => {
  const res = await fetch(`${server.url}/api/v1/openapi.json`);
  assert.equal(res.status, 200);
  const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { operationId: string; 'x-lazaret-access': unknown; security?: unknown[] }>> };
  assert.equal(doc.openapi, '3.1.0');
  for (const [id, route] of Object.entries(ROUTE_TABLE)) {
    if (route.hidden) continue;
    const path = route.url.replace(/:(\w+)/g, '{$1}');
    for (const m of methods(route.method)) {
      const op = doc.paths[path]?.[m.toLowerCase()];
      assert.ok(op, `${m} ${path} missing`);
      assert.ok(op.operationId.startsWith(id));
      assert.deepEqual(op['x-lazaret-access'], route.access);
      if (route.access.kind === 'public') assert.deepEqual(op.security, []);
    }
  }
  const keys = JSON.stringify(doc).match(/"~\w+":/g);
  assert.equal(keys, null, 'no TypeBox markers leak into the document');
});
