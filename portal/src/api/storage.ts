/**
 * Storage lifecycle endpoints (src/management-api/gc.ts, retention.ts; docs/storage-lifecycle.md):
 * garbage collection's settings and recent runs (GET /api/v1/gc, registry `metrics`: Owner) and
 * the retention rules with a dry run of them (registry `configure`: Owner, Contributor). The
 * dry run deletes nothing: it is POST /api/v1/retention/run with `dryRun: true`.
 */
import type { Static } from 'typebox';
import type { QuotasAnswer } from '../../../src/management-api/quotas-schemas.ts';
import type * as Gc from '../../../src/lifecycle/gc/gc-schemas.ts';
import type * as Retention from '../../../src/lifecycle/retention/retention-schemas.ts';
import { api } from './client.ts';

/** The shapes of the routes' schemas (src/lifecycle/gc/gc-schemas.ts, retention-schemas.ts). */
export type GcRun = Static<typeof Gc.GcRun>;
export type GcStatus = Static<typeof Gc.GcStatus>;
export type { RetentionPolicy, TagRule, UntaggedRule } from '../../../src/lifecycle/retention/retention-schemas.ts';
import type { RetentionPolicy } from '../../../src/lifecycle/retention/retention-schemas.ts';
export type RetentionDeletion = Static<typeof Retention.RetentionDeletion>;

export function getGcStatus(): Promise<GcStatus> {
  return api<GcStatus>('/api/v1/gc');
}

export function getRetention(): Promise<RetentionPolicy> {
  return api<RetentionPolicy>('/api/v1/retention');
}

/** What the rules would delete now; nothing is changed. */
export async function previewRetention(): Promise<RetentionDeletion[]> {
  return (await api<Static<typeof Retention.RetentionRun>>('/api/v1/retention/run', { method: 'POST', body: { dryRun: true } })).deletions;
}

/** GET /api/v1/quotas: the rules and each repository's limit and usage (types from the route's schemas). */
export type Quotas = Static<typeof QuotasAnswer>;
export type QuotaUsage = Quotas['usage'][number];

export function getQuotas(): Promise<Quotas> {
  return api<Quotas>('/api/v1/quotas');
}
