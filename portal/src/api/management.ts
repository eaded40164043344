/**
 * /api/v1 calls (Lazaret's management API): policy, quarantine operations, audit, webhooks,
 * identities. Shapes follow the route files under src/management-api/ (see docs/portal.md).
 */
import { useEffect, useState } from 'preact/hooks';
import type { Static } from 'typebox';
import type { Preflight, VerdictRow as VerdictRowSchema, PoliciesResponse, RescanResult, GrandfatherResult } from '../../../src/management-api/quarantine-schemas.ts';
import type { AuditEntryView, AuditPage } from '../../../src/management-api/audit-schemas.ts';
import type { WhoAmI } from '../../../src/management-api/identity-schemas.ts';
import type { QueuePage, QueueRow } from './queue.ts';
import { api, ApiError, StaleSessionError } from './client.ts';

export type PolicyStatus = Static<typeof PoliciesResponse>['quarantinePolicy']['status'];

export async function getPolicy(): Promise<PolicyStatus> {
  const body = await api<Static<typeof PoliciesResponse>>('/api/v1/policies');
  return body?.quarantinePolicy?.status === 'enabled' ? 'enabled' : 'disabled';
}

export async function setPolicy(status: PolicyStatus): Promise<PolicyStatus> {
  const body = await api<Static<typeof PoliciesResponse>>('/api/v1/policies', {
    method: 'PATCH',
    body: { quarantinePolicy: { status } },
  });
  return body?.quarantinePolicy?.status === 'enabled' ? 'enabled' : 'disabled';
}

/** The policy status; null while loading, 'unknown' when it could not be read. */
export function usePolicyStatus(version = 0): PolicyStatus | 'unknown' | null {
  const [status, setStatus] = useState<PolicyStatus | 'unknown' | null>(null);
  useEffect(() => {
    let live = true;
    getPolicy().then(
      (s) => live && setStatus(s),
      (e: Error) => {
        if (!(e instanceof StaleSessionError) && live) setStatus('unknown');
      },
    );
    return () => {
      live = false;
    };
  }, [version]);
  return status;
}

/** A manifest row of the quarantine API (src/management-api/quarantine-schemas.ts). */
export type VerdictRow = Static<typeof VerdictRowSchema>;
export type PreflightResult = Static<typeof Preflight>;

export function preflight(n = 20) {
  return api<PreflightResult>(`/api/v1/quarantine/preflight?n=${n}`);
}

/** Whether the identity holds `configure` (Owner, Contributor), from /api/v1/whoami. */
export async function canConfigure(): Promise<boolean> {
  const me = await api<Static<typeof WhoAmI>>('/api/v1/whoami');
  return me.registry.includes('configure');
}

export function rescan(body: { repository?: string } = {}) {
  return api<Static<typeof RescanResult>>('/api/v1/quarantine/rescan', { method: 'POST', body });
}

export function grandfather(body: { repository?: string } = {}) {
  return api<Static<typeof GrandfatherResult>>('/api/v1/quarantine/grandfather', { method: 'POST', body });
}

/**
 * Held manifests, oldest first: no verdict, Quarantined or Failed (pages of the server's queue,
 * up to `max` rows). The registry limits rows to repositories where the caller has quarantine
 * read (or to everything for `configure`).
 */
export async function queue(options: { states?: string; waiting?: boolean; max?: number } = {}): Promise<QueueRow[]> {
  const out: QueueRow[] = [];
  let last: string | undefined;
  const max = options.max ?? 2000;
  do {
    const q = new URLSearchParams({ n: String(Math.min(500, max)) });
    if (options.states) q.set('state', options.states);
    if (options.waiting) q.set('waiting', 'true');
    if (last) q.set('last', last);
    const body = await api<QueuePage>(`/api/v1/quarantine/queue?${q}`);
    out.push(...body.manifests);
    last = body.next;
  } while (last && out.length < max);
  return out;
}

/** One audit entry (src/management-api/audit-schemas.ts). */
export type AuditEntry = Static<typeof AuditEntryView>;

export async function audit(params: { action?: string; target?: string; n?: number } = {}): Promise<AuditEntry[]> {
  const q = new URLSearchParams();
  if (params.action) q.set('action', params.action);
  if (params.target) q.set('target', params.target);
  q.set('n', String(params.n ?? 50));
  const body = await api<Static<typeof AuditPage>>(`/api/v1/audit?${q}`);
  return body?.entries ?? [];
}

export function isForbidden(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 401 || e.status === 403);
}
