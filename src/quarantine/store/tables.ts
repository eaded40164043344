/**
 * Table types of the quarantine area (migration 003-quarantine): one verdict per
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

export interface QuarantineTables {
  verdicts: VerdictsTable;
}

/** What the verdict SQL sees: its own table and the content core's (lists join manifests and tags). */
export interface QuarantineDatabase extends CoreTables, QuarantineTables {}
