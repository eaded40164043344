/**
 * Tables of the release policy module (migration 008-release-policy): the current documents,
 * their version history, the last evaluation of each manifest and the exceptions.
 */
import type { CoreTables } from '../../metadata/tables/index.ts';

export interface ReleasePoliciesTable {
  name: string;
  version: number;
  /** The checked document as canonical JSON. */
  document: string;
  /** The text as applied. */
  source: string;
  created_at: number;
  updated_at: number;
  updated_by: string;
}

export interface ReleasePolicyVersionsTable {
  name: string;
  version: number;
  /** Canonical JSON; null for a delete. */
  document: string | null;
  changed_at: number;
  changed_by: string;
}

export interface ReleaseEvaluationsTable {
  repository: string;
  digest: string;
  policy: string;
  version: number;
  passed: number;
  /** JSON RuleResult[]. */
  rules: string;
  evaluated_at: number;
  violating_since: number | null;
  requarantine_at: number | null;
}

export interface PolicyExceptionsTable {
  id: string;
  vulnerability: string;
  scope: string;
  repository: string | null;
  digest: string | null;
  reason: string;
  ticket: string | null;
  owner: string;
  created_at: number;
  expires_at: number;
  status: string;
  approved_by: string | null;
  approved_at: number | null;
  revoked_by: string | null;
  revoked_at: number | null;
}

/** A re-evaluation waiting or running (migration 020-reevaluation-queue; ../reevaluation-queue.ts). */
export interface ReevaluationsTable {
  id: string;
  /** JSON string[]. */
  patterns: string;
  why: string;
  created_at: number;
  cursor: string | null;
  attempts: number;
  claimed_by: string | null;
  claimed_until: number | null;
}

export interface ReleasePolicyTables {
  release_policies: ReleasePoliciesTable;
  release_policy_versions: ReleasePolicyVersionsTable;
  release_evaluations: ReleaseEvaluationsTable;
  policy_exceptions: PolicyExceptionsTable;
  release_reevaluations: ReevaluationsTable;
}

export interface ReleasePolicyDatabase extends CoreTables, ReleasePolicyTables {}
