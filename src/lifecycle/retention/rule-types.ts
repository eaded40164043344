/**
 * The retention document's shape, with no imports: the server (policy.ts validates and stores
 * it) and the portal (portal/src/api/storage.ts, which cannot compile node-only modules) share
 * this one declaration.
 */
export interface UntaggedRule {
  /** A repository pattern: a name, `team/*`, or `*`. */
  repositories: string;
  /** Untagged manifests not updated for this many days are deleted (0: at the next run). */
  days: number;
}

export interface TagRule {
  repositories: string;
  /** Keep the N most recently pushed tags. */
  keepLast?: number;
  /** Keep tags matching any of these patterns (`*`: any characters, `?`: one), e.g. `v*`, `release-*`. */
  keepTags?: string[];
  /** Delete tags pushed more than D days ago (without it: every tag the rule does not keep). */
  olderThanDays?: number;
  /** Keep a tag whose image was pulled within P days. */
  keepPulledWithinDays?: number;
}

export interface RetentionPolicy {
  untagged: UntaggedRule[];
  tags: TagRule[];
}
