/**
 * /api/v1 calls (Lazaret's management API): policy, quarantine operations, audit, webhooks,
 * identities. Shapes follow the route files under src/management-api/ (see docs/portal.md).
 */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, StaleSessionError } from './client.ts';

export type PolicyStatus = 'enabled' | 'disabled';

export async function getPolicy(): Promise<PolicyStatus> {
  const body = await api<{ quarantinePolicy?: { status?: string }; status?: string }>('/api/v1/policies');
  const status = body?.quarantinePolicy?.status ?? body?.status;
  return status === 'enabled' ? 'enabled' : 'disabled';
}

export async function setPolicy(status: PolicyStatus): Promise<PolicyStatus> {
  const body = await api<{ quarantinePolicy?: { status?: string } }>('/api/v1/policies', {
    method: 'PATCH',
    body: { quarantinePolicy: { status } },
  });
  return body?.quarantinePolicy?.status === 'enabled' ? 'enabled' : 'disabled';
}

/** The policy status, or null while unknown / when the identity may not read it. */
export function usePolicyStatus(): PolicyStatus | null {
  const [status, setStatus] = useState<PolicyStatus | null>(null);
  useEffect(() => {
    let live = true;
    getPolicy().then(
      (s) => live && setStatus(s),
      (e: Error) => {
        if (!(e instanceof StaleSessionError) && live) setStatus(null);
      },
    );
    return () => {
      live = false;
    };
  }, []);
  return status;
}

export interface PreflightResult {
  count: number;
  manifests?: { repository: string; digest: string }[];
}

export function preflight() {
  return api<PreflightResult>('/api/v1/quarantine/preflight', { method: 'POST', body: {} });
}

export function rescan(body: { repository?: string } = {}) {
  return api<{ count?: number; raised?: number }>('/api/v1/quarantine/rescan', { method: 'POST', body });
}

export function grandfather(body: { repository?: string } = {}) {
  return api<{ count?: number; passed?: number }>('/api/v1/quarantine/grandfather', { method: 'POST', body });
}

export interface QueueItem {
  repository: string;
  digest: string;
  state?: string;
  mediaType?: string;
  tags?: string[];
  since?: string | number;
  heldSince?: string | number;
  createdTime?: string;
  imageSize?: number;
  quarantineDetails?: string | null;
}

export async function queue(): Promise<QueueItem[]> {
  const body = await api<{ items?: QueueItem[]; manifests?: QueueItem[] } | QueueItem[]>('/api/v1/quarantine/queue');
  if (Array.isArray(body)) return body;
  return body?.items ?? body?.manifests ?? [];
}

export interface AuditEntry {
  id: string;
  at: string | number;
  actor: string;
  action: string;
  target?: string;
  before?: unknown;
  after?: unknown;
  details?: unknown;
  requestId?: string;
}

export async function audit(params: { action?: string; target?: string; n?: number } = {}): Promise<AuditEntry[]> {
  const q = new URLSearchParams();
  if (params.action) q.set('action', params.action);
  if (params.target) q.set('target', params.target);
  q.set('n', String(params.n ?? 50));
  const body = await api<{ entries?: AuditEntry[]; items?: AuditEntry[] } | AuditEntry[]>(`/api/v1/audit?${q}`);
  if (Array.isArray(body)) return body;
  return body?.entries ?? body?.items ?? [];
}

export function isForbidden(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 401 || e.status === 403);
}
