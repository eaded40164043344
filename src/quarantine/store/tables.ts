/**
 * Table types of the quarantine area (migrations 003-quarantine, 021-verdict-followers): one verdict per
 * (repository, manifest digest). No foreign key to `manifests` on purpose: verdicts outlive
 * manifest deletes (they describe content, and a Failed verdict must come back with the same
 * bytes); lists join against `manifests` so only existing manifests show.
 */
import type { CoreTables } from '../../metadata/tables/index.ts';
export interface VerdictsTable {
  repository: string;
  digest: string;
  /** Quarantined | Passed | Failed */
  state: string;
  /** quarantineDetails exactly as sent (a string holding JSON), or null. */
  details: string | null;
  updated_at: number;
  updated_by: string;
}

/**
 * A signature or attestation whose verdict follows its subject's (src/registry/follow.ts),
 * recorded when it first follows (migration 021-verdict-followers). Needed because the link is
 * otherwise read from the manifest (a referrer's subject) or from the cosign tag
 * `sha256-<hex>.sig` ONLY while that tag points at it: once a new signature moves the tag, the
 * old signature manifest would keep its verdict when its subject's changes. No foreign key, as
 * for verdicts; reads join `manifests`.
 */
export interface VerdictFollowersTable {
  repository: string;
  digest: string;
  subject: string;
}

export interface QuarantineTables {
  verdicts: VerdictsTable;
  verdict_followers: VerdictFollowersTable;
}

/** What the verdict SQL sees: its own table and the content core's (lists join manifests and tags). */
export interface QuarantineDatabase extends CoreTables, QuarantineTables {}
