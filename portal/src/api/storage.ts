/**
 * Storage lifecycle endpoints (src/management-api/gc.ts, retention.ts; docs/storage-lifecycle.md):
 * garbage collection's settings and recent runs (GET /api/v1/gc, registry `metrics`: Owner) and
 * the retention rules with a dry run of them (registry `configure`: Owner, Contributor). The
 * dry run deletes nothing: it is POST /api/v1/retention/run with `dryRun: true`.
 */
import type { Static } from 'typebox';
import type { QuotasAnswer } from '../../../src/management-api/quotas-schemas.ts';
import { api } from './client.ts';

export interface GcRun {
  id: string;
  status: 'running' | 'done' | 'failed';
  dryRun: boolean;
  gracePeriod: string;
  startedAt: string;
  finishedAt: string | null;
  summary: {
    phase: string;
    manifestsDeleted: number;
    linksRemoved: number;
    blobsScanned: number;
    blobsDeleted: number;
    bytesFreed: number;
    toDelete: number;
    durationMs: number;
  } | null;
  error: string | null;
}

export interface GcStatus {
  settings: { gracePeriod: string; inFlight: string; interval: string | null };
  running: GcRun | null;
  lastRun: GcRun | null;
  runs: GcRun[];
}

/** The rules as the server keeps and validates them (one declaration: src/lifecycle/retention/rule-types.ts). */
export type { RetentionPolicy, TagRule, UntaggedRule } from '../../../src/lifecycle/retention/rule-types.ts';
import type { RetentionPolicy } from '../../../src/lifecycle/retention/rule-types.ts';

export interface RetentionDeletion {
  kind: 'tag' | 'manifest';
  repository: string;
  tag: string | null;
  digest: string;
  reason: 'age' | 'count' | 'untagged' | 'tags-deleted' | 'referrer';
  rule: string;
  subject: string | null;
  updatedAt: string;
  lastPulledAt: string | null;
}

export function getGcStatus(): Promise<GcStatus> {
  return api<GcStatus>('/api/v1/gc');
}

export function getRetention(): Promise<RetentionPolicy> {
  return api<RetentionPolicy>('/api/v1/retention');
}

/** What the rules would delete now; nothing is changed. */
export async function previewRetention(): Promise<RetentionDeletion[]> {
  return (await api<{ deletions: RetentionDeletion[] }>('/api/v1/retention/run', { method: 'POST', body: { dryRun: true } })).deletions;
}

/** GET /api/v1/quotas: the rules and each repository's limit and usage (types from the route's schemas). */
export type Quotas = Static<typeof QuotasAnswer>;
export type QuotaUsage = Quotas['usage'][number];

export function getQuotas(): Promise<Quotas> {
  return api<Quotas>('/api/v1/quotas');
}
