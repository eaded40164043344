/**
 * PullTimeStore: the last pull of each manifest, per repository (contract; SQL:
 * ../store/pulls-sql.ts; conformance section: ../store/suite.ts). Written in batches by the
 * pull-time recorder (./pull-times.ts), read by tag retention (./tags.ts).
 */
import type { Digest } from '../../oci/index.ts';

export interface PullTime {
  repository: string;
  digest: Digest;
  /** Epoch milliseconds. */
  pulledAt: number;
}

export interface PullTimeStore {
  /** Records a batch of pulls; a row keeps the latest time (nodes flush in any order). At most 500 per call. */
  record(pulls: readonly PullTime[]): Promise<void>;
  /** The last recorded pull of each digest of `repository` that has one (at most 500 digests). */
  lastPulled(repository: string, digests: readonly Digest[]): Promise<Map<Digest, number>>;
  /** Drops rows whose manifest is gone; returns how many. */
  prune(): Promise<number>;
}

export const MAX_PULL_BATCH = 500;
