/**
 * QuotaStore: what a repository's quota is checked against (contract; SQL: ../store/quota-sql.ts;
 * conformance section: ../store/quota-suite.ts; rules: docs/storage-lifecycle.md "Quotas").
 *
 * Usage counts each distinct blob of the repository once: its blob links (config blobs and
 * layers, uploaded or mounted, including those only a soft-deleted manifest still needs) plus the
 * bytes of its manifests that are not also a link.
 */
export interface QuotaStore {
  /**
   * Serialises quota checks of `repository` for the rest of the transaction (PostgreSQL: an
   * advisory transaction lock per repository; SQLite: the one writer already does).
   */
  lock(repository: string): Promise<void>;
  /** Bytes the repository holds now. */
  usage(repository: string): Promise<number>;
}
