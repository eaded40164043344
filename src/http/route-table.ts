/**
 * The route table's vocabulary. Every HTTP route of Lazaret is declared once, in its module's
 * `route-table.ts` (listed in src/http/routes.ts): method, path, the access it needs, TypeBox
 * schemas for params, query, body and responses, and a summary. From the declaration:
 *
 * - `serve(app, route, handler)` registers it with Fastify (the schemas validate the request;
 *   the handler's `request.params/query/body` are typed from them by the TypeBox type
 *   provider, no casts), with `config.access` for the one auth hook (src/http/auth-hook.ts);
 * - src/http/openapi.ts builds the OpenAPI 3.1 document of all APIs;
 * - test/route-table.test.ts checks that every route Fastify has is declared, with access.
 *
 * How to add a route: docs/architecture.md "Adding a route".
 */
import type {
  ContextConfigDefault,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
  RouteGenericInterface,
  RouteHandlerMethod,
  RouteShorthandOptions,
} from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { TSchema } from 'typebox';
import type { RouteAccess } from '../access/actions.ts';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteSchemas {
  params?: TSchema;
  querystring?: TSchema;
  headers?: TSchema;
  body?: TSchema;
  response?: Record<number, TSchema>;
}

/** Which API a route belongs to (the OpenAPI document groups by it). */
export type RouteApi = 'v2' | 'oauth2' | 'acr' | 'api' | 'portal' | 'operations';

export interface RouteDeclaration<S extends RouteSchemas = RouteSchemas> {
  method: HttpMethod | HttpMethod[];
  /** Fastify path syntax (`/api/v1/webhooks/:name`). */
  url: string;
  api: RouteApi;
  access: RouteAccess;
  summary: string;
  /** OpenAPI tags (defaults to the API's name). */
  tags?: string[];
  schema?: S;
  /** Body limit in bytes when it differs from the application's (1 MiB). */
  bodyLimit?: number;
  /** Fastify adds HEAD to every GET unless this is false (when HEAD is declared on its own). */
  exposeHeadRoute?: boolean;
  /** A path of the OCI Distribution Spec (marked `x-oci` in the OpenAPI document). */
  oci?: boolean;
  /** Left out of the OpenAPI document (the document itself, assets). */
  hidden?: boolean;
  /** Served only under a configuration (e.g. `metrics.mainPort is on`); otherwise always. */
  servedWhen?: string;
}

/** Declares a module's routes by id; the ids are the OpenAPI operationIds. */
export function declareRoutes<const T extends Record<string, RouteDeclaration<any>>>(routes: T): T {
  return routes;
}

export type DeclaredHandler<S extends RouteSchemas> = RouteHandlerMethod<
  RawServerDefault,
  RawRequestDefaultExpression<RawServerDefault>,
  RawReplyDefaultExpression<RawServerDefault>,
  RouteGenericInterface,
  ContextConfigDefault,
  S,
  TypeBoxTypeProvider
>;

/** Extra Fastify options a module may add (hooks, its own body parsing); never schema or access. */
export type ServeOptions = Pick<RouteShorthandOptions, 'preHandler' | 'preValidation' | 'onSend' | 'config'>;

/** Registers a declared route with its handler. */
export function serve<S extends RouteSchemas>(app: FastifyInstance, route: RouteDeclaration<S>, handler: DeclaredHandler<S>, options: ServeOptions = {}): void {
  app.withTypeProvider<TypeBoxTypeProvider>().route({
    ...options,
    method: route.method,
    url: route.url,
    ...(route.bodyLimit !== undefined ? { bodyLimit: route.bodyLimit } : {}),
    ...(route.exposeHeadRoute !== undefined ? { exposeHeadRoute: route.exposeHeadRoute } : {}),
    schema: (route.schema ?? {}) as S,
    config: { ...(options.config as object | undefined), access: route.access, declared: route },
    handler,
  } as never);
}
