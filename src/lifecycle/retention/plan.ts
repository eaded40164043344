/** One deletion a retention plan asks for (what `lazaret retention test` lists and `run` carries out). */
import type { Digest } from '../../oci/index.ts';

export type DeletionReason =
  /** A tag pushed more than the rule's `olderThanDays` ago (and kept by nothing). */
  | 'age'
  /** A tag beyond the rule's `keepLast`, in a rule without `olderThanDays`. */
  | 'count'
  /** A manifest no tag names, not updated for the untagged rule's days. */
  | 'untagged'
  /** A manifest whose last tags this plan deletes. */
  | 'tags-deleted'
  /** A referrer (signature, SBOM, scan report) of a manifest this plan deletes, after it. */
  | 'referrer';

export interface PlannedDeletion {
  kind: 'tag' | 'manifest';
  repository: string;
  /** The manifest (for a tag: the one it names). */
  digest: Digest;
  /** For a tag: its name. */
  tag?: string;
  reason: DeletionReason;
  /** The pattern of the rule that asked for it. */
  rule: string;
  /** For `referrer`: the subject deleted first. */
  subject?: Digest;
  /** A tag's last push; a manifest's last update. */
  updatedAt: Date;
  /** For a tag: when its image was last pulled, if ever recorded. */
  lastPulledAt?: Date;
}
