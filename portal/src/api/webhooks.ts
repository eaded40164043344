/**
 * /api/v1/webhooks (src/management-api/webhooks.ts): ACR's ARM webhook shapes plus Lazaret's
 * delivery log. serviceUri, customHeaders and secret are write-only: only getCallbackConfig
 * returns the first two, the secret never comes back.
 */
import { api } from './client.ts';

export const WEBHOOK_ACTIONS = ['push', 'delete', 'quarantine', 'chart_push', 'chart_delete'] as const;

export interface Webhook {
  id: string;
  name: string;
  properties: {
    status: 'enabled' | 'disabled';
    scope: string;
    actions: string[];
    hasSecret: boolean;
    createdTime: string;
    lastUpdateTime: string;
    deliveries: { pending: number; delivered: number; failed: number };
  };
}

export interface HttpMessage {
  content?: unknown;
  headers: Record<string, string>;
  method?: string;
  requestUri?: string;
  statusCode?: string;
  reasonPhrase?: string;
}

export interface Attempt {
  attempt: number;
  timestamp: string;
  duration: number;
  eventRequestMessage: HttpMessage;
  eventResponseMessage?: HttpMessage;
  error?: string;
}

export interface Delivery {
  id: string;
  action: string;
  status: 'pending' | 'delivering' | 'delivered' | 'failed' | string;
  attempts: number;
  duration?: number;
  createdTime: string;
  nextAttemptTime?: string;
  eventRequestMessage: HttpMessage;
  eventResponseMessage?: HttpMessage;
  attemptLog: Attempt[];
}

const path = (name: string) => `/api/v1/webhooks/${encodeURIComponent(name)}`;

export async function listWebhooks(): Promise<Webhook[]> {
  const out: Webhook[] = [];
  let url: string | undefined = '/api/v1/webhooks?n=100';
  while (url && out.length < 1000) {
    const body: { value: Webhook[]; nextLink?: string } = await api(url);
    out.push(...(body?.value ?? []));
    url = body?.nextLink;
  }
  return out;
}

export function getWebhook(name: string) {
  return api<Webhook>(path(name));
}

export function getCallbackConfig(name: string) {
  return api<{ serviceUri: string; customHeaders: Record<string, string> }>(`${path(name)}/getCallbackConfig`, { method: 'POST', body: {} });
}

export interface WebhookProperties {
  serviceUri?: string;
  customHeaders?: Record<string, string>;
  status?: 'enabled' | 'disabled';
  scope?: string;
  actions?: string[];
  secret?: string | null;
}

export function createWebhook(name: string, properties: WebhookProperties & { serviceUri: string; actions: string[] }) {
  return api<Webhook>(path(name), { method: 'PUT', body: { properties } });
}

export function updateWebhook(name: string, properties: WebhookProperties) {
  return api<Webhook>(path(name), { method: 'PATCH', body: { properties } });
}

export function deleteWebhook(name: string) {
  return api<unknown>(path(name), { method: 'DELETE' });
}

export function pingWebhook(name: string) {
  return api<{ id: string }>(`${path(name)}/ping`, { method: 'POST', body: {} });
}

export async function listDeliveries(name: string, n = 20): Promise<Delivery[]> {
  const body = await api<{ value: Delivery[]; nextLink?: string }>(`${path(name)}/events?n=${n}`);
  return body?.value ?? [];
}

export function redeliver(name: string, id: string) {
  return api<{ id: string; status: string }>(`${path(name)}/events/${encodeURIComponent(id)}/redeliver`, { method: 'POST', body: {} });
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
