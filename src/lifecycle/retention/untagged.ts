/**
 * Manifest retention (ACR's retention policy for untagged manifests, per repository pattern):
 * a manifest that no tag names and no index lists is deleted once it has not been updated for
 * the untagged rule's days, and so is one whose last tags a tag rule deletes in the same plan.
 * Decisions (docs/storage-lifecycle.md "Untagged manifests"):
 *
 * - Never deleted: a locked manifest (deleteEnabled false), an index's child, a referrer whose
 *   subject is still in the repository (a signature or report belongs to its subject), a
 *   subject one of whose referrers is still wanted (tagged, locked, or an index's child), and a
 *   held manifest (it does not exist for retention, which sees what a principal without
 *   quarantine read sees).
 * - A manifest deleted here takes its referrers with it (they describe nothing any more), AFTER
 *   it: a held image's scan reports never go before the image. Unless wanted (as above).
 * - "Is the subject still there" counts held manifests too: a report of a held image stays.
 */
import type { ManifestRecord, TagRecord } from '../../metadata/metadata-store.ts';
import type { UntaggedRule } from './policy.ts';
import type { PlannedDeletion } from './plan.ts';

export interface ManifestRules {
  untagged?: UntaggedRule;
  /** Manifests whose last tags the plan deletes, and the tag rule's pattern. */
  untaggedByPlan?: { rule: string; digests: ReadonlySet<string> };
}

/**
 * What one repository's rules would delete, subjects before their referrers. `manifests` and
 * `tags` are all of them (held ones too: they keep what they reference); `visible` the digests
 * retention may delete; `tags` without those the plan deletes.
 */
export function planManifests(repository: string, rules: ManifestRules, manifests: ManifestRecord[], visible: ReadonlySet<string>, tags: TagRecord[], now: number): PlannedDeletion[] {
  const present = new Map(manifests.map((m) => [m.digest as string, m]));
  const tagged = new Set(tags.map((t) => t.digest as string));
  const children = new Set(manifests.flatMap((m) => m.children.map((c) => c.digest as string)));
  const referrers = new Map<string, ManifestRecord[]>();
  for (const m of manifests) if (m.subject && present.has(m.subject)) referrers.set(m.subject, [...(referrers.get(m.subject) ?? []), m]);
  const wanted = (m: ManifestRecord) => tagged.has(m.digest) || children.has(m.digest) || !m.deleteEnabled || !visible.has(m.digest);
  const cutoff = rules.untagged ? now - rules.untagged.days * 86_400_000 : undefined;
  const why = (m: ManifestRecord): { reason: 'untagged' | 'tags-deleted'; rule: string } | undefined => {
    if (rules.untaggedByPlan?.digests.has(m.digest)) return { reason: 'tags-deleted', rule: rules.untaggedByPlan.rule };
    if (cutoff !== undefined && m.updatedAt.getTime() <= cutoff) return { reason: 'untagged', rule: rules.untagged!.repositories };
    return undefined;
  };
  const out: PlannedDeletion[] = [];
  const planned = new Set<string>();
  for (const m of manifests) {
    if (wanted(m) || (m.subject && present.has(m.subject)) || (referrers.get(m.digest) ?? []).some(wanted)) continue;
    const w = why(m);
    if (!w) continue;
    planned.add(m.digest);
    out.push({ kind: 'manifest', repository, digest: m.digest, ...w, updatedAt: m.updatedAt });
  }
  // Referrers of what goes, after it (breadth first: a referrer's referrers after it).
  for (let i = 0; i < out.length; i++) {
    for (const r of referrers.get(out[i]!.digest) ?? []) {
      if (planned.has(r.digest) || wanted(r) || (referrers.get(r.digest) ?? []).some(wanted)) continue;
      planned.add(r.digest);
      out.push({ kind: 'manifest', repository, digest: r.digest, reason: 'referrer', rule: out[i]!.rule, subject: out[i]!.digest, updatedAt: r.updatedAt });
    }
  }
  return out;
}
