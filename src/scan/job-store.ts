/**
 * Scan jobs (contract; Kysely implementation in sql-jobs.ts): the durable queue of scans. A job
 * is recorded in the transaction that makes its manifest held (push, rescan, enable with a
 * backlog), so a committed hold always has its job and a rolled-back push never has one.
 *
 * Claiming follows the webhook outbox (src/metadata/sql/outbox.ts): a node claims due jobs
 * with a lease (`claimed_by`, `claimed_until`) in one statement (FOR UPDATE SKIP LOCKED on
 * PostgreSQL), does ONE step of the job (submit, poll, finish) and releases it with the next
 * due time. A node that dies mid-step leaves a lease that runs out; another node (or the
 * restarted one) claims the job and continues from its recorded state (a submitted job keeps
 * its adapter job id, so it is polled, not scanned twice).
 *
 * At most one active (pending or submitted) job exists per (repository, digest): a partial
 * unique index enforces it, and `enqueue` returns the active job instead of adding another.
 */
export const ACTIVE_STATES = ['pending', 'submitted'] as const;
export type ScanJobState = 'pending' | 'submitted' | 'succeeded' | 'failed' | 'cancelled';
export type ScanJobKind = 'image' | 'index';
export type ScanReason = 'push' | 'rescan' | 'backlog' | 'manual' | 'db-update';

export interface ScanSummary {
  /** Findings per severity (Harbor's: Critical, High, Medium, Low, Unknown). */
  counts: Record<string, number>;
  /** True when the findings fail the image under the threshold. */
  failed: boolean;
  /** The scanner's own overall severity, when it reported one. */
  severity?: string;
  /** The most severe findings (at most 10): id, package, version, fix, severity. */
  topFindings: { id: string; package: string; version: string; fixVersion?: string; severity: string }[];
  /** sha256 of the sorted (id, package, version) triples: "did the findings change?" */
  fingerprint?: string;
  /** For an index: the children's verdicts that decided it. */
  children?: { digest: string; state: string }[];
}

export interface ScanJob {
  id: string;
  repository: string;
  digest: string;
  mediaType: string;
  kind: ScanJobKind;
  reason: ScanReason;
  scanner?: string;
  state: ScanJobState;
  attempts: number;
  nextAttemptAt: Date;
  adapterJobId?: string;
  submittedAt?: Date;
  statusMessage?: string;
  summary?: ScanSummary;
  dbUpdatedAt?: Date;
  createdAt: Date;
  updatedAt: Date;
  finishedAt?: Date;
}

export interface ClaimedJob extends ScanJob {
  claimToken: string;
}

export interface EnqueueInput {
  repository: string;
  digest: string;
  mediaType: string;
  kind: ScanJobKind;
  reason: ScanReason;
  /** Pin the job to one scanner (db-update rescans); otherwise chosen when dispatched. */
  scanner?: string;
}

export interface JobPatch {
  state?: ScanJobState;
  scanner?: string | null;
  attempts?: number;
  nextAttemptAt?: Date;
  adapterJobId?: string | null;
  submittedAt?: Date | null;
  statusMessage?: string | null;
  credentialHash?: string | null;
  credentialExpiresAt?: Date | null;
  summary?: ScanSummary;
  report?: string;
  dbUpdatedAt?: Date | null;
  finishedAt?: Date;
}

export interface JobListOptions {
  states?: ScanJobState[];
  repository?: string;
  digest?: string;
  /** Page size (default 100, at most 500). */
  n?: number;
  /** The previous page's last job id (jobs come newest first). */
  last?: string;
}

export interface ScanArtifact {
  repository: string;
  digest: string;
  subject: string;
  artifactType: string;
  jobId: string;
  createdAt: Date;
}

export interface ScanJobStore {
  /** Adds a pending job unless one is active for the manifest; returns the active job either way. */
  enqueue(input: EnqueueInput, now?: Date): Promise<{ job: ScanJob; created: boolean }>;
  get(id: string): Promise<ScanJob | undefined>;
  /** The stored report (as received) of a finished job. */
  report(id: string): Promise<string | undefined>;
  list(options?: JobListOptions): Promise<ScanJob[]>;
  /** The newest job of a manifest, optionally only those in `states`. */
  latest(repository: string, digest: string, states?: ScanJobState[]): Promise<ScanJob | undefined>;
  /** `latest` of several digests of one repository with each job's report, in one statement per 500 (a re-evaluation page); digests without a job are absent. */
  latestWithReports(repository: string, digests: readonly string[], states: ScanJobState[]): Promise<Map<string, { job: ScanJob; report?: string }>>;
  claim(options: { now: Date; leaseMs: number; limit: number }): Promise<ClaimedJob[]>;
  /** Applies `patch` and releases the claim; false when the claim was lost (lease ran out, another node took it). */
  release(claim: ClaimedJob, patch: JobPatch): Promise<boolean>;
  /** Extends the lease while a step runs long; false when the claim was lost. */
  renew(claim: ClaimedJob, until: Date): Promise<boolean>;
  /** Changes a job without a claim (cancel from the API; wake an index job). */
  patch(id: string, patch: JobPatch): Promise<boolean>;
  /** Makes unclaimed pending jobs due at `now` (a scanner was registered or came back). */
  wakePending(now: Date): Promise<void>;
  /** Submitted jobs per scanner (the concurrency cap). */
  submittedCount(scanner: string): Promise<number>;
  /** The job's credential facts, for the identity resolver. */
  credential(id: string): Promise<{ repository: string; hash: string; expiresAt: Date; state: ScanJobState } | undefined>;
  /** (repository, digest) of manifests whose newest succeeded scan by `scanner` used a database older than `before`. */
  staleResults(scanner: string, before: Date, limit: number): Promise<{ repository: string; digest: string; mediaType: string }[]>;
  /** When the next job is due (the dispatcher sleeps until then). */
  nextDue(): Promise<Date | undefined>;
  addArtifact(artifact: Omit<ScanArtifact, 'createdAt'>): Promise<void>;
  artifactsOf(repository: string, subject: string): Promise<ScanArtifact[]>;
  /** `artifactsOf` several subjects at once; subjects without artifacts are absent. */
  artifactsOfMany(repository: string, subjects: readonly string[]): Promise<Map<string, ScanArtifact[]>>;
}
