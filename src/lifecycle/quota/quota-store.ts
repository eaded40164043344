/**
 * QuotaStore: what a repository's quota is checked against (contract; SQL: ../store/quota-sql.ts;
 * conformance section: ../store/quota-suite.ts; rules: docs/storage-lifecycle.md "Quotas").
 *
 * Usage counts each distinct blob of the repository once: its blob links (config blobs and
 * layers, uploaded or mounted, including those only a soft-deleted manifest still needs) plus the
 * bytes of its manifests that are not also a link. It is a running total the database keeps in
 * the same transaction as every change of a link or a manifest (013-repository-usage), so
 * reading it is one primary-key lookup; `recount` counts from scratch and corrects it.
 */
export interface UsageRecount {
  repository: string;
  /** What the running total said. */
  stored: number;
  /** What the full count found (the total now). */
  counted: number;
}

export interface QuotaStore {
  /**
   * Serialises quota checks of `repository` for the rest of the transaction (PostgreSQL: an
   * advisory transaction lock per repository; SQLite: the one writer already does).
   */
  lock(repository: string): Promise<void>;
  /** Bytes the repository holds now (0 for one that holds nothing or does not exist). */
  usage(repository: string): Promise<number>;
  /**
   * Counts the repository's usage from its links and manifests and stores the count, atomically
   * with respect to concurrent changes (the usage row is locked before counting). Undefined for
   * a repository that does not exist.
   */
  recount(repository: string): Promise<UsageRecount | undefined>;
}
