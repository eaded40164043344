/**
 * The retention policy document (docs/storage-lifecycle.md "Retention"): rules per repository
 * pattern for untagged manifests (./untagged.ts) and for tags (./tags.ts). Stored as one setting;
 * the first rule of a list whose pattern (src/access/patterns.ts) matches a repository applies.
 */
import type { SettingsStore } from '../../metadata/metadata-store.ts';
import { isValidPattern } from '../../access/patterns.ts';
import { isValidTagPattern } from './tag-patterns.ts';
import type { RetentionPolicy } from './retention-schemas.ts';
export type { RetentionPolicy, TagRule, UntaggedRule } from './retention-schemas.ts';


export const RETENTION_SETTING = 'lifecycle.retention';
export const MAX_RULES = 100;
export const MAX_TAG_PATTERNS = 50;
const MAX_DAYS = 3650;

export async function readRetentionPolicy(settings: SettingsStore): Promise<RetentionPolicy> {
  const stored = await settings.get<Partial<RetentionPolicy>>(RETENTION_SETTING);
  return { untagged: stored?.untagged ?? [], tags: stored?.tags ?? [] };
}

const quoted = (text: string) => JSON.stringify(text.slice(0, 100));
const badDays = (v: unknown) => v !== undefined && (!Number.isInteger(v) || (v as number) < 0 || (v as number) > MAX_DAYS);

/** What is wrong with a policy, in one sentence naming the field, or undefined. */
export function retentionPolicyProblem(policy: RetentionPolicy): string | undefined {
  if (policy.untagged.length > MAX_RULES) return `at most ${MAX_RULES} untagged rules`;
  if (policy.tags.length > MAX_RULES) return `at most ${MAX_RULES} tag rules`;
  for (const [i, r] of policy.untagged.entries()) {
    if (!isValidPattern(r.repositories)) return `untagged[${i}].repositories ${quoted(r.repositories)} is not a repository pattern (a name, team/*, or *)`;
    if (badDays(r.days)) return `untagged[${i}].days must be a whole number of days from 0 to ${MAX_DAYS}`;
  }
  for (const [i, r] of policy.tags.entries()) {
    const at = `tags[${i}]`;
    if (!isValidPattern(r.repositories)) return `${at}.repositories ${quoted(r.repositories)} is not a repository pattern (a name, team/*, or *)`;
    if (r.keepLast !== undefined && (!Number.isInteger(r.keepLast) || r.keepLast < 0 || r.keepLast > 100_000)) return `${at}.keepLast must be a whole number from 0 to 100000`;
    for (const f of ['olderThanDays', 'keepPulledWithinDays'] as const) if (badDays(r[f])) return `${at}.${f} must be a whole number of days from 0 to ${MAX_DAYS}`;
    if ((r.keepTags?.length ?? 0) > MAX_TAG_PATTERNS) return `${at}.keepTags: at most ${MAX_TAG_PATTERNS} patterns`;
    for (const [j, p] of (r.keepTags ?? []).entries()) if (!isValidTagPattern(p)) return `${at}.keepTags[${j}] ${quoted(p)} is not a tag pattern (tag characters with * and ?)`;
    // A rule with neither would delete every tag it does not keep the moment it is saved.
    if (r.keepLast === undefined && r.olderThanDays === undefined) return `${at}: give keepLast or olderThanDays (or both)`;
  }
  return undefined;
}
