/**
 * The release policy module's store contracts (SQL: store/sql/, conformance: store/suite.ts).
 *
 * - ReleasePolicyStore: the current documents, one per name, each with its version; every
 *   apply and delete also writes a row of the version history (who, when, the document), so
 *   `diff` and the audit can show what changed. Versions only grow, also across a delete and a
 *   re-create of the same name.
 * - EvaluationStore: the last evaluation of each (repository, digest): the policy and version
 *   that decided, the outcome and the per-rule reasons ("why held"), and for a released image
 *   that violates its policy since when (drift) and when it is due to be put back on hold.
 * - ExceptionStore: exceptions to findings (docs/release-policy.md "Exceptions").
 */
import type { Static } from 'typebox';
import type { RuleResult as RuleResultSchema } from './policy-schemas.ts';
import type { PolicyDocument } from './document.ts';

export interface ReleasePolicyRecord {
  name: string;
  version: number;
  document: PolicyDocument;
  /** The text as applied (YAML or JSON), for `get` to show what the author wrote. */
  source: string;
  createdAt: Date;
  updatedAt: Date;
  updatedBy: string;
}

export interface PolicyVersionRecord {
  name: string;
  version: number;
  /** Null for the version that records a delete. */
  document: PolicyDocument | null;
  changedAt: Date;
  changedBy: string;
}

export interface ReleasePolicyStore {
  get(name: string): Promise<ReleasePolicyRecord | undefined>;
  /** Every policy, by name. Policies are few (tens): callers filter in memory. */
  list(): Promise<ReleasePolicyRecord[]>;
  /**
   * Creates or replaces `name` with the next version. Returns the previous record (undefined
   * when new). `expectedVersion` (optional) refuses a concurrent change: undefined result
   * `conflict: true` when the stored version differs.
   */
  put(input: { name: string; document: PolicyDocument; source: string; actor: string; expectedVersion?: number }): Promise<{ record: ReleasePolicyRecord; previous?: ReleasePolicyRecord } | { conflict: true }>;
  delete(name: string, actor: string): Promise<ReleasePolicyRecord | undefined>;
  /** The history of a name, newest first. */
  versions(name: string, n?: number): Promise<PolicyVersionRecord[]>;
}

/** One rule's outcome (its wire shape, policy-schemas.ts, is the stored one). */
export type RuleResult = Static<typeof RuleResultSchema>;

export interface EvaluationRecord {
  repository: string;
  digest: string;
  policy: string;
  version: number;
  passed: boolean;
  rules: RuleResult[];
  evaluatedAt: Date;
  /** A released image that fails its policy: since when (drift). */
  violatingSince?: Date;
  /** With onViolation requarantine: when it goes back on hold. */
  requarantineAt?: Date;
}

export interface EvaluationStore {
  get(repository: string, digest: string): Promise<EvaluationRecord | undefined>;
  put(record: EvaluationRecord): Promise<void>;
  /** `get` of several digests of one repository (missing ones are absent). */
  getMany(repository: string, digests: readonly string[]): Promise<Map<string, EvaluationRecord>>;
  /** `put` of several records in one statement per 200 rows. */
  putMany(records: readonly EvaluationRecord[]): Promise<void>;
  /** Released-but-violating evaluations whose requarantine time has come. */
  dueForRequarantine(now: Date, n: number): Promise<EvaluationRecord[]>;
  /** Drops the evaluations of a policy that no longer governs (delete). */
  deleteOfPolicy(policy: string): Promise<number>;
}

export type ExceptionScope = 'digest' | 'repository' | 'all';
export type ExceptionStatus = 'pending' | 'active' | 'revoked';

export interface ExceptionRecord {
  id: string;
  /** The finding's id (CVE-2021-44906, GHSA-..., a distro advisory id). */
  vulnerability: string;
  scope: ExceptionScope;
  /** scope repository: a policy pattern; scope digest: the repository of the digest. */
  repository?: string;
  digest?: string;
  reason: string;
  ticket?: string;
  /** Who created it (owns it). */
  owner: string;
  createdAt: Date;
  expiresAt: Date;
  status: ExceptionStatus;
  approvedBy?: string;
  approvedAt?: Date;
  revokedBy?: string;
  revokedAt?: Date;
}

export interface ExceptionStore {
  create(input: Omit<ExceptionRecord, 'createdAt' | 'approvedAt' | 'approvedBy' | 'revokedAt' | 'revokedBy'>): Promise<ExceptionRecord>;
  get(id: string): Promise<ExceptionRecord | undefined>;
  /** Newest first. */
  list(options?: { status?: ExceptionStatus[]; n?: number }): Promise<ExceptionRecord[]>;
  /** Active exceptions not expired at `now` (what evaluation uses). */
  active(now: Date): Promise<ExceptionRecord[]>;
  /** pending -> active; undefined when it is not pending. */
  approve(id: string, by: string, at: Date): Promise<ExceptionRecord | undefined>;
  /** pending|active -> revoked; undefined when already revoked or missing. */
  revoke(id: string, by: string, at: Date): Promise<ExceptionRecord | undefined>;
}
