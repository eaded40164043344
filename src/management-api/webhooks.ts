/**
 * /api/v1/webhooks: ACR's webhook operations (ACR's API reference 4.1) plus Lazaret's delivery
 * log and redelivery. Owner/Contributor only (`configure`). Every change is audited without
 * the write-only values (the audit log is readable more widely than webhooks are).
 *
 *   PUT    /api/v1/webhooks/{name}                       create or replace (201 / 200)
 *   GET    /api/v1/webhooks, /api/v1/webhooks/{name}     list / read (with delivery counts)
 *   PATCH  /api/v1/webhooks/{name}                       update
 *   DELETE /api/v1/webhooks/{name}                       delete (its deliveries stop at once)
 *   POST   /api/v1/webhooks/{name}/ping                  queue a ping, returns {id}
 *   POST   /api/v1/webhooks/{name}/getCallbackConfig     {serviceUri, customHeaders}
 *   POST   /api/v1/webhooks/{name}/listEvents            the delivery log (same as GET .../events)
 *   GET    /api/v1/webhooks/{name}/events[/{id}]         the delivery log, newest first, paged
 *   POST   /api/v1/webhooks/{name}/events/{id}/redeliver back to pending with a fresh retry budget
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Services } from '../services.ts';
import type { RouteAccess } from '../access/actions.ts';
import type { StoreRoles } from '../persistence/index.ts';
import type { WebhookRecord } from '../events/index.ts';
import { registryError } from '../errors/index.ts';
import { pingEvent } from '../events/index.ts';
import { queuePing } from '../events/index.ts';
import { maskUri } from '../events/index.ts';
import { checkCustomHeaders, checkScope, checkServiceUri } from './webhooks-input.ts';
import { eventView, webhookResource } from './webhooks-views.ts';
import * as S from './webhooks-schemas.ts';
import { declareRoutes, serve } from '../http/route-table.ts';

const access: RouteAccess = { kind: 'registry', action: 'configure' };
const config = { access };
const TAGS = ['webhooks'];
const BODY_LIMIT = 256 * 1024;

/** What the audit log may hold about a webhook: nothing write-only. */
const auditView = (w: WebhookRecord) => ({
  status: w.status,
  scope: w.scope,
  actions: w.actions,
  hasSecret: w.secret !== undefined,
  customHeaderNames: Object.keys(w.customHeaders),
});

/** The routes of this file (the route table: src/http/route-table.ts). */
export const webhookRoutes = declareRoutes({
  putWebhooksByName: { method: 'PUT', url: '/api/v1/webhooks/:name', api: 'api', access: config.access, tags: TAGS, summary: 'Create or replace a webhook (ACR Webhooks_Create)', bodyLimit: BODY_LIMIT, schema: { params: S.NameParams, body: S.CreateBody, response: { 200: S.WebhookResource, 201: S.WebhookResource } } },
  getWebhooks: { method: 'GET', url: '/api/v1/webhooks', api: 'api', access: config.access, tags: TAGS, summary: 'List webhooks with delivery counts (ACR Webhooks_List)', schema: { querystring: S.PageQuery, response: { 200: S.WebhookList } } },
  getWebhooksByName: { method: 'GET', url: '/api/v1/webhooks/:name', api: 'api', access: config.access, tags: TAGS, summary: 'Read a webhook (ACR Webhooks_Get)', schema: { params: S.NameParams, response: { 200: S.WebhookResource } } },
  patchWebhooksByName: { method: 'PATCH', url: '/api/v1/webhooks/:name', api: 'api', access: config.access, tags: TAGS, summary: 'Update a webhook (ACR Webhooks_Update)', bodyLimit: BODY_LIMIT, schema: { params: S.NameParams, body: S.UpdateBody, response: { 200: S.WebhookResource } } },
  deleteWebhooksByName: { method: 'DELETE', url: '/api/v1/webhooks/:name', api: 'api', access: config.access, tags: TAGS, summary: 'Delete a webhook and its queued deliveries (ACR Webhooks_Delete)', schema: { params: S.NameParams } },
  postWebhooksByNamePing: { method: 'POST', url: '/api/v1/webhooks/:name/ping', api: 'api', access: config.access, tags: TAGS, summary: 'Queue a ping event (ACR Webhooks_Ping)', schema: { params: S.NameParams, response: { 200: S.EventInfo } } },
  postWebhooksByNameGetCallbackConfig: { method: 'POST', url: '/api/v1/webhooks/:name/getCallbackConfig', api: 'api', access: config.access, tags: TAGS, summary: 'Read the write-only URI and headers (ACR Webhooks_GetCallbackConfig)', schema: { params: S.NameParams, response: { 200: S.CallbackConfig } } },
  postWebhooksByNameListEvents: { method: 'POST', url: '/api/v1/webhooks/:name/listEvents', api: 'api', access: config.access, tags: TAGS, summary: 'The delivery log, newest first (ACR Webhooks_ListEvents)', schema: { params: S.NameParams, querystring: S.PageQuery, response: { 200: S.EventList } } },
  getWebhooksByNameEvents: { method: 'GET', url: '/api/v1/webhooks/:name/events', api: 'api', access: config.access, tags: TAGS, summary: 'The delivery log, newest first', schema: { params: S.NameParams, querystring: S.PageQuery, response: { 200: S.EventList } } },
  getWebhooksByNameEventsById: { method: 'GET', url: '/api/v1/webhooks/:name/events/:id', api: 'api', access: config.access, tags: TAGS, summary: 'One delivery with every attempt', schema: { params: S.EventParams, response: { 200: S.EventView } } },
  postWebhooksByNameEventsByIdRedeliver: { method: 'POST', url: '/api/v1/webhooks/:name/events/:id/redeliver', api: 'api', access: config.access, tags: TAGS, summary: 'Deliver an event again with a fresh retry budget', schema: { params: S.EventParams, response: { 202: S.RedeliverResult } } },
});

export async function registerWebhookRoutes(app: FastifyInstance, services: Services) {
  // An empty application/json body (ARM clients POST ping/getCallbackConfig/listEvents so)
  // reads as none: src/http/json-bodies.ts, installed on the whole API by src/app.ts.
  await app.register(async (scope) => registerInScope(scope, services));
}

function registerInScope(app: FastifyInstance, services: Services) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { store } = services;
  const wake = () => services.webhookDispatcher.wake();

  async function mustGet(name: string, roles: StoreRoles = store) {
    const w = await roles.webhooks.get(name);
    if (!w) throw registryError('NOT_FOUND', `webhook "${name}" not found`);
    return w;
  }
  const audit = (tx: StoreRoles, request: FastifyRequest, action: string, name: string, before?: unknown, after?: unknown) =>
    tx.audit.append({ actor: request.access.principal.name, action, target: `webhook:${name}`, before, after, requestId: request.id });
  const withCounts = async (w: WebhookRecord) => webhookResource(w, (await store.webhooks.counts([w.name])).get(w.name));

  serve(api, webhookRoutes.putWebhooksByName, async (request, reply) => {
    const { name } = request.params;
    const p = request.body.properties;
    await checkServiceUri(p.serviceUri, services.webhookDestinations);
    checkCustomHeaders(p.customHeaders ?? {});
    checkScope(p.scope ?? '');
    const { created, record } = await store.transaction(async (tx) => {
      const before = await tx.webhooks.get(name);
      const result = await tx.webhooks.put({
        name,
        serviceUri: p.serviceUri,
        customHeaders: p.customHeaders ?? {},
        status: p.status ?? 'enabled',
        scope: p.scope ?? '',
        actions: p.actions,
        ...(p.secret !== undefined ? { secret: p.secret } : {}),
      });
      await audit(tx, request, result.created ? 'webhook.create' : 'webhook.update', name, before ? auditView(before) : undefined, auditView(result.record));
      return result;
    });
    reply.status(created ? 201 : 200);
    return withCounts(record);
  });

  serve(api, webhookRoutes.getWebhooks, async (request) => {
    const n = request.query.n ?? 100;
    const hooks = await store.webhooks.list({ n: n + 1, ...(request.query.last !== undefined ? { last: request.query.last } : {}) });
    const page = hooks.slice(0, n);
    const counts = await store.webhooks.counts(page.map((w) => w.name));
    const value = page.map((w) => webhookResource(w, counts.get(w.name)));
    return hooks.length > n ? { value, nextLink: `/api/v1/webhooks?last=${page.at(-1)!.name}&n=${n}` } : { value };
  });

  serve(api, webhookRoutes.getWebhooksByName, async (request) =>
    withCounts(await mustGet(request.params.name)));

  serve(api, webhookRoutes.patchWebhooksByName, async (request) => {
    const { name } = request.params;
    const p = request.body.properties ?? {};
    if (p.serviceUri !== undefined) await checkServiceUri(p.serviceUri, services.webhookDestinations);
    if (p.customHeaders !== undefined) checkCustomHeaders(p.customHeaders);
    if (p.scope !== undefined) checkScope(p.scope);
    const record = await store.transaction(async (tx) => {
      const before = await mustGet(name, tx);
      const after = await tx.webhooks.update(name, p);
      await audit(tx, request, 'webhook.update', name, auditView(before), auditView(after!));
      return after!;
    });
    // Re-enabling resumes paused deliveries.
    if (record.status === 'enabled') wake();
    return withCounts(record);
  });

  serve(api, webhookRoutes.deleteWebhooksByName, async (request, reply) => {
    const { name } = request.params;
    await store.transaction(async (tx) => {
      const before = await mustGet(name, tx);
      await tx.webhooks.delete(name);
      await audit(tx, request, 'webhook.delete', name, auditView(before));
    });
    return reply.status(204).send();
  });

  serve(api, webhookRoutes.postWebhooksByNamePing, async (request) => {
    const event = pingEvent();
    await store.transaction(async (tx) => {
      await mustGet(request.params.name, tx);
      await queuePing(tx, request.params.name, event);
    });
    wake();
    return { id: event.id };
  });

  serve(api, webhookRoutes.postWebhooksByNameGetCallbackConfig, async (request) => {
    const w = await mustGet(request.params.name);
    return { serviceUri: w.serviceUri, customHeaders: w.customHeaders };
  });

  async function listEvents(name: string, query: { n?: number; last?: string }) {
    const w = await mustGet(name);
    const n = query.n ?? 20;
    const { items, next } = await store.outbox.list(name, { n, ...(query.last !== undefined ? { last: query.last } : {}) });
    const value = items.map((d) => eventView(d, { serviceUri: w.serviceUri, maskedUri: maskUri(w.serviceUri) }));
    return next ? { value, nextLink: `/api/v1/webhooks/${name}/events?last=${encodeURIComponent(next)}&n=${n}` } : { value };
  }

  serve(api, webhookRoutes.postWebhooksByNameListEvents, async (request) =>
    listEvents(request.params.name, request.query));
  serve(api, webhookRoutes.getWebhooksByNameEvents, async (request) =>
    listEvents(request.params.name, request.query));

  serve(api, webhookRoutes.getWebhooksByNameEventsById, async (request) => {
    const w = await mustGet(request.params.name);
    const d = await store.outbox.get(w.name, request.params.id);
    if (!d) throw registryError('NOT_FOUND', `event "${request.params.id}" not found for webhook "${w.name}"`);
    return eventView(d, { serviceUri: w.serviceUri, maskedUri: maskUri(w.serviceUri) });
  });

  serve(api, webhookRoutes.postWebhooksByNameEventsByIdRedeliver, async (request, reply) => {
    const { name, id } = request.params;
    await store.transaction(async (tx) => {
      await mustGet(name, tx);
      if (!(await tx.outbox.redeliver(name, id))) throw registryError('NOT_FOUND', `event "${id}" not found for webhook "${name}"`);
      await audit(tx, request, 'webhook.redeliver', name, undefined, undefined);
    });
    wake();
    return reply.status(202).send({ id, status: 'pending' });
  });
}
