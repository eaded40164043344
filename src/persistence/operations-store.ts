/**
 * OperationsStore: what an operator watches, read in a few aggregate queries (metrics scrapes,
 * /readyz, `lazaret status`). Nothing here is per repository: these are registry-wide numbers
 * and never carry a repository name or a digest.
 */
export interface OperationsSnapshot {
  repositories: number;
  manifests: number;
  tags: number;
  /** Distinct blobs linked from any repository, and their bytes (each digest counted once). */
  blobs: { count: number; bytes: number };
  /** Upload sessions not yet committed or cleaned up. */
  uploads: number;
  /** Manifests with a verdict, by verdict state (Pending, Quarantined, Passed, ...). */
  verdicts: Record<string, number>;
  /** Webhook deliveries: waiting or in flight, the oldest waiting one's creation, failed for good. */
  outbox: { pending: number; oldestPendingAt?: Date; failed: number };
  /** Scan jobs not finished: waiting to be sent to a scanner (`queued`), sent and without a report yet (`running`), and the oldest one's creation. */
  scans: { queued: number; running: number; oldestActiveAt?: Date };
}

export interface OperationsStore {
  snapshot(): Promise<OperationsSnapshot>;
  /** Names of the migrations recorded as applied in this database, in order. */
  appliedMigrations(): Promise<string[]>;
  /** A trivial round trip (readiness probe); throws when the database does not answer. */
  ping(): Promise<void>;
}
