/**
 * Tag retention: which tags of one repository a tag rule deletes (docs/storage-lifecycle.md
 * "Tag rules"). Tags are ranked by push time, newest first. A tag is kept when it is one of
 * the `keepLast` newest, matches a `keepTags` pattern, is locked (deleteEnabled or
 * writeEnabled false), its image was pulled within `keepPulledWithinDays`, or was pushed less
 * than `olderThanDays` ago. Every other tag is deleted.
 *
 * The caller passes only the tags a principal without quarantine read can see: a tag naming a
 * held image does not exist for retention (it is not ranked, not counted, never deleted), so
 * the plan is exactly what it would be if that tag were missing, and shows nothing of it.
 */
import type { TagRecord } from '../../metadata/metadata-store.ts';
import type { TagRule } from './policy.ts';
import type { PlannedDeletion } from './plan.ts';
import { matchesTagPattern } from './tag-patterns.ts';

const DAY_MS = 86_400_000;

/** Locked tags are never deleted (ACR: a locked tag is neither writable nor deletable). */
export const isProtectedTag = (t: Pick<TagRecord, 'deleteEnabled' | 'writeEnabled'>) => !t.deleteEnabled || !t.writeEnabled;

export function planTags(repository: string, rule: TagRule, tags: TagRecord[], lastPulled: Map<string, number>, now: number): PlannedDeletion[] {
  const ranked = [...tags].sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime() || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const ageCutoff = rule.olderThanDays === undefined ? undefined : now - rule.olderThanDays * DAY_MS;
  const pullCutoff = rule.keepPulledWithinDays === undefined ? undefined : now - rule.keepPulledWithinDays * DAY_MS;
  const out: PlannedDeletion[] = [];
  for (const [rank, t] of ranked.entries()) {
    const pulled = lastPulled.get(t.digest);
    const kept =
      (rule.keepLast !== undefined && rank < rule.keepLast) ||
      (rule.keepTags ?? []).some((p) => matchesTagPattern(p, t.name)) ||
      isProtectedTag(t) ||
      (pullCutoff !== undefined && pulled !== undefined && pulled >= pullCutoff) ||
      (ageCutoff !== undefined && t.updatedAt.getTime() > ageCutoff);
    if (kept) continue;
    out.push({
      kind: 'tag',
      repository,
      digest: t.digest,
      tag: t.name,
      reason: ageCutoff === undefined ? 'count' : 'age',
      rule: rule.repositories,
      updatedAt: t.updatedAt,
      ...(pulled !== undefined ? { lastPulledAt: new Date(pulled) } : {}),
    });
  }
  return out;
}
