/**
 * Route schemas compile when a route is first used (src/http/lazy-schema-compilers.ts), so a
 * schema that does not compile would only fail its first request. This compiles every declared
 * route's request and response schemas with Fastify's own compilers, as start-up used to.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROUTE_TABLE } from '../src/http/routes.ts';
import { eagerSchemaCompilers } from '../src/http/lazy-schema-compilers.ts';

test("every declared route's schemas compile", () => {
  const { validator, serializer } = eagerSchemaCompilers();
  let compiled = 0;
  for (const [id, route] of Object.entries(ROUTE_TABLE)) {
    const method = Array.isArray(route.method) ? route.method[0] : route.method;
    for (const httpPart of ['params', 'querystring', 'headers', 'body'] as const) {
      const schema = route.schema?.[httpPart];
      if (schema === undefined) continue;
      assert.doesNotThrow(() => validator({ schema, method, url: route.url, httpPart }), `${id} ${httpPart}`);
      compiled++;
    }
    for (const [httpStatus, schema] of Object.entries(route.schema?.response ?? {})) {
      assert.doesNotThrow(() => serializer({ schema, method, url: route.url, httpStatus }), `${id} response ${httpStatus}`);
      compiled++;
    }
  }
  assert.ok(compiled >= 50, `only ${compiled} schemas found: is the route table read?`);
});

test('the check can fail: a broken schema does not compile', () => {
  const { validator } = eagerSchemaCompilers();
  assert.throws(() => validator({ schema: { type: 'no-such-type' }, method: 'POST', url: '/x', httpPart: 'body' }));
});

test('validation through the lazy compilers still coerces, applies defaults and reports errors', async () => {
  const { lazySchemaCompilers } = await import('../src/http/lazy-schema-compilers.ts');
  const compile = lazySchemaCompilers().buildValidator({}, { customOptions: {}, plugins: [] });
  const validate = compile({ schema: { type: 'object', properties: { n: { type: 'integer' }, d: { type: 'string', default: 'x' } }, required: ['n'] }, method: 'GET', url: '/x', httpPart: 'querystring' });
  const query: Record<string, unknown> = { n: '5' };
  assert.equal(validate(query), true);
  assert.deepEqual(query, { n: 5, d: 'x' }, 'coerced and defaulted as Fastify does');
  assert.equal(validate({}), false);
  assert.match(JSON.stringify(validate.errors), /required/);
});
