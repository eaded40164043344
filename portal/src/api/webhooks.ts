/**
 * /api/v1/webhooks: list, create, update, delete, ping, events (each delivery attempt with its
 * request and response), redeliver. Shapes follow src/management-api/webhooks*.ts.
 */
import { api } from './client.ts';

export interface Webhook {
  name: string;
  serviceUri?: string;
  status?: 'enabled' | 'disabled' | string;
  actions?: string[];
  scope?: string;
  customHeaders?: Record<string, string>;
  hasSecret?: boolean;
  createdAt?: string | number;
}

export interface WebhookHealth {
  name: string;
  enabled: boolean | null;
  lastStatus: number | null;
  lastOk: boolean;
  lastAt: string | number | null;
}

export async function listWebhooks(): Promise<Webhook[]> {
  const body = await api<{ webhooks?: Webhook[]; value?: Webhook[]; items?: Webhook[] } | Webhook[]>('/api/v1/webhooks');
  if (Array.isArray(body)) return body;
  return body?.webhooks ?? body?.value ?? body?.items ?? [];
}

export async function listWebhookHealth(): Promise<WebhookHealth[]> {
  const hooks = await listWebhooks();
  return Promise.all(
    hooks.map(async (h) => {
      const events = await listEvents(h.name, 1).catch(() => []);
      const last = events[0];
      const status = last ? (last.response?.status ?? last.status ?? 0) : null;
      return {
        name: h.name,
        enabled: h.status ? h.status === 'enabled' : null,
        lastStatus: status,
        lastOk: status !== null && status >= 200 && status < 300,
        lastAt: last?.at ?? last?.request?.at ?? null,
      };
    }),
  );
}

export interface DeliveryAttempt {
  id: string;
  eventId?: string;
  action?: string;
  at?: string | number;
  status?: number;
  durationMs?: number;
  error?: string | null;
  request?: { method?: string; uri?: string; headers?: Record<string, string>; body?: string; at?: string | number };
  response?: { status?: number; headers?: Record<string, string>; body?: string } | null;
}

export async function listEvents(name: string, n = 50): Promise<DeliveryAttempt[]> {
  const body = await api<{ events?: DeliveryAttempt[]; value?: DeliveryAttempt[]; items?: DeliveryAttempt[] } | DeliveryAttempt[]>(
    `/api/v1/webhooks/${encodeURIComponent(name)}/events?n=${n}`,
  );
  if (Array.isArray(body)) return body;
  return body?.events ?? body?.value ?? body?.items ?? [];
}

export function getWebhook(name: string) {
  return api<Webhook>(`/api/v1/webhooks/${encodeURIComponent(name)}`);
}

export interface WebhookInput {
  name?: string;
  serviceUri?: string;
  status?: string;
  actions?: string[];
  scope?: string;
  customHeaders?: Record<string, string>;
  secret?: string;
}

export function createWebhook(input: WebhookInput) {
  return api<Webhook>('/api/v1/webhooks', { method: 'POST', body: input });
}

export function updateWebhook(name: string, input: WebhookInput) {
  return api<Webhook>(`/api/v1/webhooks/${encodeURIComponent(name)}`, { method: 'PATCH', body: input });
}

export function deleteWebhook(name: string) {
  return api<unknown>(`/api/v1/webhooks/${encodeURIComponent(name)}`, { method: 'DELETE' });
}

export function pingWebhook(name: string) {
  return api<{ id?: string; eventId?: string }>(`/api/v1/webhooks/${encodeURIComponent(name)}/ping`, { method: 'POST', body: {} });
}

export function redeliver(name: string, eventId: string) {
  return api<unknown>(`/api/v1/webhooks/${encodeURIComponent(name)}/events/${encodeURIComponent(eventId)}/redeliver`, { method: 'POST', body: {} });
}
