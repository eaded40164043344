/**
 * The durable queue of re-evaluations (contract; Kysely implementation in
 * store/sql/reevaluations.ts, migration 020-reevaluation-queue, conformance in store/suite.ts).
 *
 * A change that can alter verdicts of many images (a policy applied or deleted, an exception
 * created, approved, revoked or expired, `POST .../evaluate`) records a job naming the
 * repository patterns concerned, in the change's own transaction: a change that committed always
 * has its re-evaluation, one that rolled back never has one. Any node claims a job with a lease
 * (`claimed_by` a fresh token, `claimed_until`), works through the matching repositories in
 * name order and records after each one the last repository done (`cursor`) while renewing the
 * lease. A node that dies leaves a lease that runs out; the next claim continues after the
 * cursor. Re-evaluating a repository twice is harmless (the same version decides the same way;
 * drift is recorded once), so at-least-once is enough.
 */
export interface ReevaluationJob {
  id: string;
  /** Repository patterns (release policy dialect, `**` = everything). */
  patterns: string[];
  /** Why, for the audit entries of the verdicts it changes ("policy changed", "exception expired"). */
  why: string;
  createdAt: Date;
  /** The last repository finished; the next run starts after it. */
  cursor?: string;
  /** Claims so far (a job that keeps failing is visible, not hidden). */
  attempts: number;
}

export interface ClaimedReevaluation extends ReevaluationJob {
  claimToken: string;
}

export interface ReevaluationQueue {
  /** Records a job (call it in the transaction of the change). */
  enqueue(input: { patterns: string[]; why: string }, now?: Date): Promise<ReevaluationJob>;
  /** The oldest job not claimed or whose lease ran out, claimed until now + leaseMs; undefined when none. */
  claim(options: { now: Date; leaseMs: number }): Promise<ClaimedReevaluation | undefined>;
  /** Records the last repository done and extends the lease; false when the claim was lost. */
  progress(claim: ClaimedReevaluation, cursor: string, until: Date): Promise<boolean>;
  /** Removes a finished job; false when the claim was lost (another node has it now). */
  finish(claim: ClaimedReevaluation): Promise<boolean>;
  /** Jobs waiting or running (status figures, tests). */
  pending(): Promise<number>;
}
