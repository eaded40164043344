/**
 * Untagged-manifest retention (ACR's retention policy for untagged manifests, per repository
 * pattern): a manifest that no tag names and no index lists is deleted once it has not been
 * updated for the rule's days. Decisions (docs/storage-lifecycle.md, "Untagged manifests"):
 *
 * - The first rule whose pattern (src/access/patterns.ts) matches a repository applies; none, nothing is deleted.
 * - Never deleted: a locked manifest (deleteEnabled false), an index's child, a referrer whose
 *   subject is still in the repository (a signature or report belongs to its subject), and a
 *   subject one of whose referrers is still wanted (tagged, locked, or an index's child).
 * - A manifest deleted here takes its referrers with it (they describe nothing any more), AFTER
 *   it: a held image's scan reports never go before the image. Unless wanted (as above).
 * - Deletions go through the registry service's delete (its attribute checks, the `delete`
 *   webhook event in the same transaction) and each gets an audit entry `retention.delete`.
 *   Their blobs are released, and garbage collection frees them after its grace period.
 */
import type { Digest } from '../../oci/digest.ts';
import type { ManifestRecord, SettingsStore, TagRecord, CoreRoles, TransactionalStore } from '../../metadata/metadata-store.ts';
import type { RegistryView } from '../../registry/index.ts';
import { isValidPattern, matchesPattern } from '../../access/patterns.ts';
import { RegistryError } from '../../errors/registry-error.ts';

export interface UntaggedRule {
  /** A repository pattern: a name, `team/*`, or `*`. */
  repositories: string;
  /** Untagged manifests not updated for this many days are deleted (0: at the next run). */
  days: number;
}

export interface RetentionPolicy {
  untagged: UntaggedRule[];
}

export const RETENTION_SETTING = 'lifecycle.retention';
export const MAX_RULES = 100;

export async function readRetentionPolicy(settings: SettingsStore): Promise<RetentionPolicy> {
  const stored = await settings.get<RetentionPolicy>(RETENTION_SETTING);
  return { untagged: stored?.untagged ?? [] };
}

/** What is wrong with a policy, in one sentence, or undefined. */
export function retentionPolicyProblem(policy: RetentionPolicy): string | undefined {
  if (policy.untagged.length > MAX_RULES) return `at most ${MAX_RULES} untagged rules`;
  for (const [i, r] of policy.untagged.entries()) {
    if (!isValidPattern(r.repositories)) return `untagged[${i}].repositories ${JSON.stringify(r.repositories.slice(0, 100))} is not a repository pattern (a name, team/*, or *)`;
    if (!Number.isInteger(r.days) || r.days < 0 || r.days > 3650) return `untagged[${i}].days must be a whole number of days from 0 to 3650`;
  }
  return undefined;
}

export interface PlannedDeletion {
  repository: string;
  digest: Digest;
  /** `untagged`: old and unnamed; `referrer`: its subject is deleted before it. */
  reason: 'untagged' | 'referrer';
  /** The rule's pattern. */
  rule: string;
  /** For `referrer`: the subject deleted first. */
  subject?: Digest;
  updatedAt: Date;
}

async function allManifests(store: CoreRoles, repository: string): Promise<ManifestRecord[]> {
  const out: ManifestRecord[] = [];
  for (let last: string | undefined; ; ) {
    const page = await store.manifests.list(repository, { n: 1000, ...(last ? { last } : {}) });
    out.push(...page);
    if (page.length < 1000) return out;
    last = page.at(-1)!.digest;
  }
}

async function allTags(store: CoreRoles, repository: string): Promise<TagRecord[]> {
  const out: TagRecord[] = [];
  for (let last: string | undefined; ; ) {
    const page = await store.tags.list(repository, { n: 1000, ...(last ? { last } : {}) });
    out.push(...page);
    if (page.length < 1000) return out;
    last = page.at(-1)!.name;
  }
}

/** What one repository's rule would delete, subjects before their referrers. */
export function planRepository(repository: string, rule: UntaggedRule, manifests: ManifestRecord[], tags: TagRecord[], now: number): PlannedDeletion[] {
  const present = new Map(manifests.map((m) => [m.digest as string, m]));
  const tagged = new Set(tags.map((t) => t.digest as string));
  const children = new Set(manifests.flatMap((m) => m.children.map((c) => c.digest as string)));
  const referrers = new Map<string, ManifestRecord[]>();
  for (const m of manifests) if (m.subject && present.has(m.subject)) referrers.set(m.subject, [...(referrers.get(m.subject) ?? []), m]);
  const wanted = (m: ManifestRecord) => tagged.has(m.digest) || children.has(m.digest) || !m.deleteEnabled;
  const cutoff = now - rule.days * 86_400_000;
  const out: PlannedDeletion[] = [];
  const planned = new Set<string>();
  const candidates = manifests.filter(
    (m) => !wanted(m) && m.updatedAt.getTime() <= cutoff && !(m.subject && present.has(m.subject)) && !(referrers.get(m.digest) ?? []).some(wanted),
  );
  for (const m of candidates) {
    planned.add(m.digest);
    out.push({ repository, digest: m.digest, reason: 'untagged', rule: rule.repositories, updatedAt: m.updatedAt });
  }
  // Referrers of what goes, after it (breadth first: a referrer's referrers after it).
  for (let i = 0; i < out.length; i++) {
    for (const r of referrers.get(out[i]!.digest) ?? []) {
      if (planned.has(r.digest) || wanted(r) || (referrers.get(r.digest) ?? []).some(wanted)) continue;
      planned.add(r.digest);
      out.push({ repository, digest: r.digest, reason: 'referrer', rule: rule.repositories, subject: out[i]!.digest, updatedAt: r.updatedAt });
    }
  }
  return out;
}

/** Every deletion the policy asks for now, repository by repository. */
export async function planUntagged(store: CoreRoles, policy: RetentionPolicy, now: number): Promise<PlannedDeletion[]> {
  if (policy.untagged.length === 0) return [];
  const out: PlannedDeletion[] = [];
  for (let last: string | undefined; ; ) {
    const names = await store.repositories.list({ n: 1000, ...(last ? { last } : {}) });
    for (const name of names) {
      const rule = policy.untagged.find((r) => matchesPattern(r.repositories, name));
      if (!rule) continue;
      out.push(...planRepository(name, rule, await allManifests(store, name), await allTags(store, name), now));
    }
    if (names.length < 1000) return out;
    last = names.at(-1);
  }
}

export interface RetentionResult {
  deleted: PlannedDeletion[];
  /** Planned but not deleted: changed meanwhile (tagged, locked, already gone). */
  skipped: { deletion: PlannedDeletion; why: string }[];
}

/**
 * Carries out a plan through the registry service. Each deletion re-reads the manifest: one
 * tagged, locked or referenced by an index since the plan is kept.
 */
export async function applyUntagged(store: TransactionalStore, registry: RegistryView, plan: PlannedDeletion[], requestId: string): Promise<RetentionResult> {
  const result: RetentionResult = { deleted: [], skipped: [] };
  const facts = { id: requestId, host: '', method: 'DELETE', useragent: 'lazaret-retention', actor: 'retention' };
  for (const d of plan) {
    const current = await store.manifests.get(d.repository, d.digest);
    if (!current) {
      result.skipped.push({ deletion: d, why: 'already deleted' });
      continue;
    }
    const nowTagged = (await store.tags.list(d.repository, { digest: d.digest, n: 1 })).length > 0;
    const nowChild = (await store.manifests.parentsOf(d.repository, d.digest)).length > 0;
    if (nowTagged || nowChild || !current.deleteEnabled || (d.reason === 'untagged' && current.updatedAt.getTime() > d.updatedAt.getTime())) {
      result.skipped.push({ deletion: d, why: 'changed since the plan (tagged, listed by an index, locked or pushed again)' });
      continue;
    }
    try {
      await registry.deleteManifest(d.repository, { kind: 'digest', digest: d.digest }, facts);
    } catch (err) {
      if (!(err instanceof RegistryError)) throw err;
      result.skipped.push({ deletion: d, why: err.message });
      continue;
    }
    await store.audit.append({
      actor: 'retention',
      action: 'retention.delete',
      target: `${d.repository}@${d.digest}`,
      details: { reason: d.reason, rule: d.rule, ...(d.subject ? { subject: d.subject } : {}), updatedAt: d.updatedAt.toISOString() },
      requestId,
    });
    result.deleted.push(d);
  }
  return result;
}

export interface RetentionDeps {
  store: TransactionalStore;
  /** The registry service as the retention job sees it (no quarantine read: it reads no content). */
  registry: RegistryView;
}

/** Plans with the stored policy and, unless a dry run, carries the plan out. */
export async function runUntaggedRetention(deps: RetentionDeps, options: { dryRun?: boolean; now?: number; requestId: string }): Promise<{ dryRun: boolean; planned: PlannedDeletion[]; result?: RetentionResult }> {
  const policy = await readRetentionPolicy(deps.store.settings);
  const planned = await planUntagged(deps.store, policy, options.now ?? Date.now());
  if (options.dryRun) return { dryRun: true, planned };
  return { dryRun: false, planned, result: await applyUntagged(deps.store, deps.registry, planned, options.requestId) };
}
