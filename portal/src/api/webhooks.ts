/**
 * /api/v1/webhooks (src/management-api/webhooks.ts): ACR's ARM webhook shapes plus Lazaret's
 * delivery log. serviceUri, customHeaders and secret are write-only: only getCallbackConfig
 * returns the first two, the secret never comes back.
 */
import type { Static } from 'typebox';
import type { AttemptView, CallbackConfig, EventInfo, EventList, EventView, RedeliverResult, UpdateBody, WebhookList, WebhookResource } from '../../../src/management-api/webhooks-schemas.ts';
import { api } from './client.ts';

/**
 * The wire types are the server's own schemas (src/management-api/webhooks-schemas.ts), imported
 * as types only: nothing of the server reaches the bundle, and a change of shape there fails
 * the portal's type check here.
 */
export type Webhook = Static<typeof WebhookResource>;
export type Delivery = Static<typeof EventView>;
export type Attempt = Static<typeof AttemptView>;
/** A request or a response of a delivery, as the log view reads either. */
export type HttpMessage = Partial<Delivery['eventRequestMessage'] & NonNullable<Delivery['eventResponseMessage']>>;
/** What a PATCH may change (a PUT needs serviceUri and actions too). */
export type WebhookProperties = NonNullable<Static<typeof UpdateBody>['properties']>;
export type WebhookAction = Webhook['properties']['actions'][number];

/** The actions the form offers (each one the server accepts). */
export const WEBHOOK_ACTIONS = ['push', 'delete', 'quarantine', 'chart_push', 'chart_delete'] as const satisfies readonly WebhookAction[];

const path = (name: string) => `/api/v1/webhooks/${encodeURIComponent(name)}`;

export async function listWebhooks(): Promise<Webhook[]> {
  const out: Webhook[] = [];
  let url: string | undefined = '/api/v1/webhooks?n=100';
  while (url && out.length < 1000) {
    const body: Static<typeof WebhookList> = await api(url);
    out.push(...(body?.value ?? []));
    url = body?.nextLink;
  }
  return out;
}

export function getWebhook(name: string) {
  return api<Webhook>(path(name));
}

export function getCallbackConfig(name: string) {
  return api<Static<typeof CallbackConfig>>(`${path(name)}/getCallbackConfig`, { method: 'POST', body: {} });
}

export function createWebhook(name: string, properties: WebhookProperties & { serviceUri: string; actions: WebhookAction[] }) {
  return api<Webhook>(path(name), { method: 'PUT', body: { properties } });
}

export function updateWebhook(name: string, properties: WebhookProperties) {
  return api<Webhook>(path(name), { method: 'PATCH', body: { properties } });
}

export function deleteWebhook(name: string) {
  return api<unknown>(path(name), { method: 'DELETE' });
}

export function pingWebhook(name: string) {
  return api<Static<typeof EventInfo>>(`${path(name)}/ping`, { method: 'POST', body: {} });
}

export async function listDeliveries(name: string, n = 20): Promise<Delivery[]> {
  const body = await api<Static<typeof EventList>>(`${path(name)}/events?n=${n}`);
  return body?.value ?? [];
}

export function redeliver(name: string, id: string) {
  return api<Static<typeof RedeliverResult>>(`${path(name)}/events/${encodeURIComponent(id)}/redeliver`, { method: 'POST', body: {} });
}

export interface WebhookHealth {
  name: string;
  enabled: boolean;
  counts: Webhook['properties']['deliveries'];
  last: Delivery | null;
}

export async function listWebhookHealth(): Promise<WebhookHealth[]> {
  const hooks = await listWebhooks();
  return Promise.all(
    hooks.map(async (h) => ({
      name: h.name,
      enabled: h.properties.status === 'enabled',
      counts: h.properties.deliveries,
      last: (await listDeliveries(h.name, 1).catch(() => []))[0] ?? null,
    })),
  );
}

/** "Name: value" lines <-> a header record (the form's text area). */
export function parseHeaderLines(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const i = line.indexOf(':');
    if (i <= 0) throw new Error(`Custom headers: "${line.trim()}" is not "Name: value"`);
    out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

export function formatHeaderLines(headers: Record<string, string>): string {
  return Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
}
