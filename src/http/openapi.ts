/**
 * The OpenAPI 3.1 document of every API, built from the route table (src/http/routes.ts);
 * served at /api/v1/openapi.json. Paths of the OCI Distribution Spec carry `x-oci: true`; every
 * operation carries the access it needs as `x-lazaret-access`.
 */
import type { TSchema } from 'typebox';
import type { RouteApi, RouteDeclaration } from './route-table.ts';

const API_TAGS: Record<RouteApi, string> = {
  v2: 'v2 (OCI Distribution)',
  oauth2: 'oauth2 (token endpoints)',
  acr: 'acr/v1',
  api: 'api/v1',
  portal: 'portal',
  operations: 'operations',
};

/** TypeBox schemas are JSON Schema; their own markers (`~kind`, `~refine`, ...) are dropped. */
function jsonSchema(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema, (key, value) => (key.startsWith('~') ? undefined : value)));
}

function parameters(where: 'path' | 'query', schema: TSchema | undefined) {
  if (!schema) return [];
  const s = jsonSchema(schema) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(s.properties ?? {}).map(([name, p]) => ({
    name,
    in: where,
    required: where === 'path' || (s.required ?? []).includes(name),
    ...(typeof p.description === 'string' ? { description: p.description } : {}),
    schema: p,
  }));
}

/** Path parameters of a route without a params schema (/v2 checks its own): strings named by the path. */
function pathParameters(url: string) {
  return [...url.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
}

function operation(id: string, route: RouteDeclaration) {
  const schema = route.schema ?? {};
  const responses: Record<string, unknown> = {};
  for (const [status, body] of Object.entries(schema.response ?? {})) {
    responses[status] = { description: `${status}`, content: { 'application/json': { schema: jsonSchema(body) } } };
  }
  if (Object.keys(responses).length === 0) responses.default = { description: 'See the API documentation (docs/).' };
  return {
    operationId: id,
    summary: route.summary,
    tags: route.tags ?? [API_TAGS[route.api]],
    ...(route.access.kind === 'public' ? { security: [] } : {}),
    'x-lazaret-access': route.access,
    ...(route.oci ? { 'x-oci': true } : {}),
    parameters: [...(schema.params ? parameters('path', schema.params) : pathParameters(route.url)), ...parameters('query', schema.querystring)],
    ...(schema.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(schema.body) } } } } : {}),
    responses,
  };
}

export function openApiDocument(routes: Record<string, RouteDeclaration>, version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [id, route] of Object.entries(routes)) {
    if (route.hidden) continue;
    const path = route.url.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}').replace(/\*$/, '{path}');
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      paths[path] ??= {};
      paths[path][method.toLowerCase()] = operation(methods.length > 1 ? `${id}${method === 'HEAD' ? 'Head' : ''}` : id, route);
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Lazaret', version, description: 'The /v2 (OCI Distribution), /oauth2, /acr/v1 and /api/v1 APIs of Lazaret, generated from its route table.' },
    components: { securitySchemes: { basic: { type: 'http', scheme: 'basic' }, bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ basic: [] }, { bearer: [] }],
    tags: Object.values(API_TAGS).map((name) => ({ name })),
    paths,
  };
}
