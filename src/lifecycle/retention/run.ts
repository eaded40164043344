/**
 * A retention run: plan every repository a rule matches (tags first, then the manifests left
 * untagged or old), and unless a dry run, carry the plan out through the registry service.
 *
 * Retention sees the registry as a principal without quarantine read does (`access`): held
 * tags and manifests do not exist for it. So a plan never deletes, counts or lists held
 * content, and what `retention test` shows an Owner (who has no quarantine read) is the same
 * whether held content exists or not.
 *
 * Every deletion re-reads what it deletes first (a tag moved, pushed again or locked since
 * the plan, a manifest tagged, listed by an index, locked, held or pushed again, is kept), goes
 * through the registry service like a manual one (attribute checks; a manifest's `delete`
 * webhook event in its transaction; tag deletes raise none, as manual ones), and gets an
 * audit entry `retention.delete` (actor `retention`).
 */
import type { Digest } from '../../oci/index.ts';
import { unrestrictedAccess } from '../../access/actions.ts';
import type { CoreRoles, ManifestRecord, TagRecord, TransactionalStore } from '../../metadata/metadata-store.ts';
import type { Registry, RegistryView } from '../../registry/index.ts';
import type { LifecycleRoles } from '../store/index.ts';
import { matchesPattern } from '../../access/patterns.ts';
import { RegistryError } from '../../errors/index.ts';
import { readRetentionPolicy, type RetentionPolicy } from './policy.ts';
import type { PlannedDeletion } from './plan.ts';
import { MAX_PULL_BATCH } from './pull-time-store.ts';
import { isProtectedTag, planTags } from './tags.ts';
import { planManifests } from './untagged.ts';

export interface RetentionDeps {
  store: TransactionalStore<CoreRoles & LifecycleRoles>;
  /** The registry service as a principal without quarantine read sees it: what retention may see (the gate's rule, through the service) and how it deletes. */
  registry: RegistryView;
  /** Called after each deletion (metrics). */
  onDeleted?: (kind: PlannedDeletion['kind']) => void;
}

/** Retention's view of the services: the registry as a principal without quarantine read (held content is missing to it). */
export function retentionDeps(services: { store: RetentionDeps['store']; registry: Registry; metrics?: { retentionDeletions: { inc(labels: { kind: string }): void } } }): RetentionDeps {
  const access = unrestrictedAccess();
  const { metrics } = services;
  return { store: services.store, registry: services.registry.as(access), ...(metrics ? { onDeleted: (kind: PlannedDeletion['kind']) => metrics.retentionDeletions.inc({ kind }) } : {}) };
}

export interface RetentionResult {
  deleted: PlannedDeletion[];
  /** Planned but not deleted: changed meanwhile (tagged, moved, locked, held, already gone). */
  skipped: { deletion: PlannedDeletion; why: string }[];
}

async function all<T>(page: (last: string | undefined) => Promise<T[]>, key: (t: T) => string): Promise<T[]> {
  const out: T[] = [];
  for (let last: string | undefined; ; ) {
    const items = await page(last);
    out.push(...items);
    if (items.length < 1000) return out;
    last = key(items.at(-1)!);
  }
}

async function lastPulled(deps: RetentionDeps, repository: string, tags: TagRecord[]): Promise<Map<string, number>> {
  const digests = [...new Set(tags.map((t) => t.digest))];
  const out = new Map<string, number>();
  for (let i = 0; i < digests.length; i += MAX_PULL_BATCH) {
    for (const [d, at] of await deps.store.pullTimes.lastPulled(repository, digests.slice(i, i + MAX_PULL_BATCH))) out.set(d, at);
  }
  return out;
}

/** What one repository's rules ask for now. */
async function planRepository(deps: RetentionDeps, policy: RetentionPolicy, name: string, now: number): Promise<PlannedDeletion[]> {
  const tagRule = policy.tags.find((r) => matchesPattern(r.repositories, name));
  const untagged = policy.untagged.find((r) => matchesPattern(r.repositories, name));
  if (!tagRule && !untagged) return [];
  const repo = await deps.store.repositories.get(name);
  if (!repo?.deleteEnabled) return [];
  const { store, registry } = deps;
  const manifests = await all<ManifestRecord>((last) => store.manifests.list(name, { n: 1000, ...(last ? { last } : {}) }), (m) => m.digest);
  const tags = await all<TagRecord>((last) => store.tags.list(name, { n: 1000, ...(last ? { last } : {}) }), (t) => t.name);
  const visibleTags = await registry.visibleTagRows(name, tags);
  const visible = new Set((await registry.visibleManifestRows(name, manifests)).map((m) => m.digest as string));
  const tagPlan = tagRule ? planTags(name, tagRule, visibleTags, await lastPulled(deps, name, visibleTags), now) : [];
  const goingTags = new Set(tagPlan.map((d) => d.tag));
  const left = tags.filter((t) => !goingTags.has(t.name));
  const stillTagged = new Set(left.map((t) => t.digest as string));
  const untaggedByPlan = new Set(tagPlan.map((d) => d.digest as string).filter((d) => !stillTagged.has(d)));
  const manifestPlan = planManifests(name, { ...(untagged ? { untagged } : {}), ...(tagRule ? { untaggedByPlan: { rule: tagRule.repositories, digests: untaggedByPlan } } : {}) }, manifests, visible, left, now);
  return [...tagPlan, ...manifestPlan];
}

/** Every deletion the policy asks for now, repository by repository. */
export async function planRetention(deps: RetentionDeps, policy: RetentionPolicy, now: number): Promise<PlannedDeletion[]> {
  if (policy.untagged.length === 0 && policy.tags.length === 0) return [];
  const out: PlannedDeletion[] = [];
  for (let last: string | undefined; ; ) {
    const names = await deps.store.repositories.list({ n: 1000, ...(last ? { last } : {}) });
    for (const name of names) out.push(...(await planRepository(deps, policy, name, now)));
    if (names.length < 1000) return out;
    last = names.at(-1);
  }
}

/** Why a planned deletion is no longer wanted (`why`), or, when it still is, a tag's current row. */
async function changedSince(deps: RetentionDeps, d: PlannedDeletion): Promise<{ why: string } | { tag?: TagRecord }> {
  const { store, registry } = deps;
  if (d.kind === 'tag') {
    const t = await store.tags.get(d.repository, d.tag!);
    if (!t) return { why: 'already deleted' };
    if (t.digest !== d.digest || t.updatedAt.getTime() !== d.updatedAt.getTime()) return { why: 'moved or pushed again since the plan' };
    if (isProtectedTag(t)) return { why: 'locked since the plan' };
    if ((await registry.visibleTagRows(d.repository, [t])).length === 0) return { why: 'already deleted' };
    return { tag: t };
  }
  const current = await store.manifests.get(d.repository, d.digest);
  if (!current || (await registry.visibleManifestRows(d.repository, [current])).length === 0) return { why: 'already deleted' };
  const nowTagged = (await store.tags.list(d.repository, { digest: d.digest, n: 1 })).length > 0;
  const nowChild = (await store.manifests.parentsOf(d.repository, d.digest)).length > 0;
  if (nowTagged || nowChild || !current.deleteEnabled || (d.reason !== 'referrer' && current.updatedAt.getTime() > d.updatedAt.getTime())) {
    return { why: 'changed since the plan (tagged, listed by an index, locked or pushed again)' };
  }
  return {};
}

/** Carries out a plan, in its order (tags, then manifests, each subject before its referrers). */
export async function applyRetention(deps: RetentionDeps, plan: PlannedDeletion[], requestId: string): Promise<RetentionResult> {
  const result: RetentionResult = { deleted: [], skipped: [] };
  const facts = { id: requestId, host: '', method: 'DELETE', useragent: 'lazaret-retention', actor: 'retention' };
  // The tags this run deleted, by repository@digest: the image they leave untagged is deleted
  // next (`tags-deleted`) and, with soft delete on, goes to the bin with them, so a restore
  // brings the image back as it was before this run.
  const tagsDeleted = new Map<string, TagRecord[]>();
  for (const d of plan) {
    const check = await changedSince(deps, d);
    if ('why' in check) {
      result.skipped.push({ deletion: d, why: check.why });
      continue;
    }
    const key = `${d.repository}@${d.digest}`;
    try {
      if (d.kind === 'tag') await deps.registry.deleteManifest(d.repository, { kind: 'tag', tag: d.tag! }, facts);
      else await deps.registry.deleteManifest(d.repository, { kind: 'digest', digest: d.digest as Digest }, facts, { formerTags: d.reason === 'tags-deleted' ? (tagsDeleted.get(key) ?? []) : [] });
    } catch (err) {
      if (!(err instanceof RegistryError)) throw err;
      result.skipped.push({ deletion: d, why: err.message });
      continue;
    }
    await deps.store.audit.append({
      actor: 'retention',
      action: 'retention.delete',
      target: d.kind === 'tag' ? `${d.repository}:${d.tag}` : `${d.repository}@${d.digest}`,
      details: {
        kind: d.kind,
        reason: d.reason,
        rule: d.rule,
        ...(d.kind === 'tag' ? { digest: d.digest } : {}),
        ...(d.subject ? { subject: d.subject } : {}),
        updatedAt: d.updatedAt.toISOString(),
        ...(d.lastPulledAt ? { lastPulledAt: d.lastPulledAt.toISOString() } : {}),
      },
      requestId,
    });
    if (check.tag) tagsDeleted.set(key, [...(tagsDeleted.get(key) ?? []), check.tag]);
    result.deleted.push(d);
    deps.onDeleted?.(d.kind);
  }
  return result;
}

/**
 * Plans with the stored policy and, unless a dry run, carries the plan out. One plan, whose
 * manifest part already counts the tags it deletes, so a dry run shows what the run would do.
 */
export async function runRetention(deps: RetentionDeps, options: { dryRun?: boolean; now?: number; requestId: string }): Promise<{ dryRun: boolean; planned: PlannedDeletion[]; result?: RetentionResult }> {
  const policy = await readRetentionPolicy(deps.store.settings);
  const planned = await planRetention(deps, policy, options.now ?? Date.now());
  if (options.dryRun) return { dryRun: true, planned };
  const result = await applyRetention(deps, planned, options.requestId);
  // Pull times of manifests gone (by retention or otherwise) serve nothing any more.
  await deps.store.pullTimes.prune();
  return { dryRun: false, planned, result };
}
