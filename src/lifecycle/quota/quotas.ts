/**
 * Quotas per repository pattern (docs/storage-lifecycle.md "Quotas"): the first rule whose
 * pattern matches a repository limits the bytes that repository holds (each distinct blob once,
 * QuotaStore.usage). A change that would add bytes past the limit is refused with DENIED naming
 * the rule, inside the change's transaction and after the repository's quota lock, so concurrent
 * pushes (on any node) never overshoot it: a blob link after an upload or mount (claims.ts) and a
 * new manifest's own bytes (the registry's pushManifest).
 */
import type { RepositoryStore, SettingsStore } from '../../metadata/metadata-store.ts';
import { isValidPattern, matchesPattern } from '../../access/patterns.ts';
import { registryError } from '../../errors/index.ts';
import type { QuotaStore, UsageRecount } from './quota-store.ts';

export interface QuotaRule {
  /** A repository pattern: a name, `team/*`, or `*`. */
  repositories: string;
  /** The most bytes one matching repository may hold. */
  bytes: number;
}

export interface QuotaPolicy {
  quotas: QuotaRule[];
}

export const QUOTA_SETTING = 'lifecycle.quotas';
export const MAX_QUOTAS = 100;

export async function readQuotaPolicy(settings: SettingsStore): Promise<QuotaPolicy> {
  return { quotas: (await settings.get<QuotaPolicy>(QUOTA_SETTING))?.quotas ?? [] };
}

/** What is wrong with a policy, in one sentence, or undefined. */
export function quotaPolicyProblem(policy: QuotaPolicy): string | undefined {
  if (policy.quotas.length > MAX_QUOTAS) return `at most ${MAX_QUOTAS} quotas`;
  const seen = new Set<string>();
  for (const [i, q] of policy.quotas.entries()) {
    if (!isValidPattern(q.repositories)) return `quotas[${i}].repositories ${JSON.stringify(q.repositories.slice(0, 100))} is not a repository pattern (a name, team/*, or *)`;
    if (seen.has(q.repositories)) return `quotas[${i}].repositories ${JSON.stringify(q.repositories)} is listed twice`;
    seen.add(q.repositories);
    if (!Number.isSafeInteger(q.bytes) || q.bytes < 0) return `quotas[${i}].bytes must be a whole number of bytes, 0 or more`;
  }
  return undefined;
}

export const quotaFor = (policy: QuotaPolicy, repository: string): QuotaRule | undefined => policy.quotas.find((q) => matchesPattern(q.repositories, repository));

/** `1.5 GiB`-style, for messages. */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) (v /= 1024), u++;
  return u === 0 ? `${n} bytes` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/**
 * In the transaction about to add `adding` bytes to `repository`: refuses with DENIED when its
 * quota would be exceeded. Holds the repository's quota lock until the transaction ends.
 */
export async function checkQuota(tx: { settings: SettingsStore; quotas: QuotaStore }, repository: string, adding: number): Promise<void> {
  const rule = quotaFor(await readQuotaPolicy(tx.settings), repository);
  if (!rule) return;
  await tx.quotas.lock(repository);
  const used = await tx.quotas.usage(repository);
  if (used + adding > rule.bytes) {
    throw registryError(
      'DENIED',
      `quota "${rule.repositories}" exceeded: repository ${repository} may hold ${formatBytes(rule.bytes)} (${rule.bytes} bytes), holds ${used} bytes, this push adds ${adding}`,
      { quota: rule.repositories, limit: rule.bytes, used, adding },
    );
  }
}

export interface QuotaUsage {
  repository: string;
  /** The rule that applies (its pattern). */
  quota: string;
  limit: number;
  used: number;
}

/** Every existing repository a quota applies to, with its usage (lexical by name). */
export async function quotaUsage(store: { repositories: RepositoryStore; settings: SettingsStore; quotas: QuotaStore }): Promise<QuotaUsage[]> {
  const policy = await readQuotaPolicy(store.settings);
  if (policy.quotas.length === 0) return [];
  const out: QuotaUsage[] = [];
  for (let last: string | undefined; ; ) {
    const names = await store.repositories.list({ n: 1000, ...(last ? { last } : {}) });
    for (const repository of names) {
      const rule = quotaFor(policy, repository);
      if (rule) out.push({ repository, quota: rule.repositories, limit: rule.bytes, used: await store.quotas.usage(repository) });
    }
    if (names.length < 1000) return out;
    last = names.at(-1);
  }
}

export interface RecountReport {
  /** Repositories counted. */
  repositories: number;
  /** Those whose running total was wrong, with what it said and what it is now. */
  corrected: UsageRecount[];
}

/**
 * Counts every repository's usage (or one's) from scratch and corrects the running totals
 * (docs/storage-lifecycle.md "How usage is kept"). Each repository is its own short transaction,
 * so pushes go on meanwhile; a correct total is left as it is.
 */
export async function recountUsage(store: { repositories: RepositoryStore; quotas: QuotaStore }, only?: string): Promise<RecountReport> {
  const report: RecountReport = { repositories: 0, corrected: [] };
  const one = async (repository: string) => {
    const r = await store.quotas.recount(repository);
    if (!r) return;
    report.repositories++;
    if (r.stored !== r.counted) report.corrected.push(r);
  };
  if (only !== undefined) {
    await one(only);
    return report;
  }
  for (let last: string | undefined; ; ) {
    const names = await store.repositories.list({ n: 1000, ...(last ? { last } : {}) });
    for (const repository of names) await one(repository);
    if (names.length < 1000) return report;
    last = names.at(-1);
  }
}
