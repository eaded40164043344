/**
 * Hooks the distribution API calls INSIDE the metadata transaction of a manifest push or
 * delete, so that what they record (verdicts, outbox events) commits with the change.
 * Quarantine assigns push-time verdicts here; events writes `quarantine`/`push`/`delete`
 * events to the outbox here. Handlers never send anything themselves.
 */
import type { Digest } from '../oci/index.ts';
import type { CoreRoles } from '../metadata/metadata-store.ts';

/** The request facts events carry (ACR's `request` object). */
export interface RequestFacts {
  id: string;
  host: string;
  method: string;
  useragent: string;
  /** The principal's name (ACR's `actor.name`). */
  actor: string;
}

export interface ManifestPushed {
  repository: string;
  digest: Digest;
  mediaType: string;
  size: number;
  /** The tag it was pushed under; undefined for a push by digest. */
  tag?: string;
  /** True when the digest was not in the repository before. */
  created: boolean;
  /**
   * The subject whose verdict this manifest's follows (a signature or attestation where a
   * release policy governs, src/registry/follow.ts): it is not scanned nor judged on its own.
   */
  follows?: Digest;
  request: RequestFacts;
}

export interface ManifestDeleted {
  repository: string;
  digest: Digest;
  mediaType: string;
  request: RequestFacts;
}

export interface RepositoryDeleted {
  repository: string;
  manifests: { digest: Digest; mediaType: string }[];
  request: RequestFacts;
}

/** A manifest's verdict became `Passed` (called by quarantine, in the verdict's transaction). */
export interface ManifestReleased {
  repository: string;
  digest: Digest;
  mediaType: string;
  size: number;
  request: RequestFacts;
}

/** A manifest's verdict changed (any change; called by changeVerdict in the verdict's transaction). */
export interface VerdictChanged {
  repository: string;
  digest: Digest;
  state: string;
  previousState?: string;
  request: RequestFacts;
}

/**
 * `Tx`: the transaction's role objects a listener needs (events' listener needs the outbox,
 * quarantine's the verdicts); the application combines them over its full StoreRoles.
 */
export interface ManifestLifecycle<Tx extends CoreRoles = CoreRoles> {
  pushed(tx: Tx, event: ManifestPushed): Promise<void>;
  deleted(tx: Tx, event: ManifestDeleted): Promise<void>;
  repositoryDeleted(tx: Tx, event: RepositoryDeleted): Promise<void>;
  /** Manifests whose verdicts became Passed in this transaction (several at once from a re-evaluation's batch), in order. */
  released(tx: Tx, events: readonly ManifestReleased[]): Promise<void>;
  /** An admin asked for a re-scan (quarantine rescan): raise `quarantine` for this manifest again. */
  rescanRequested(tx: Tx, event: ManifestPushed): Promise<void>;
  /** The verdict changed: the scan orchestrator's report referrers follow their subject's verdict. */
  verdictChanged(tx: Tx, event: VerdictChanged): Promise<void>;
}

/**
 * Answers "is this manifest held right now?" (policy enabled and verdict not Passed), inside a
 * transaction. Provided by quarantine; events uses it to decide whether a push raises `push`.
 * Listeners run in order, so quarantine's `pushed` (which assigns the push-time verdict) runs
 * before events' `pushed` asks this.
 */
export type HoldQuery<Tx extends CoreRoles = CoreRoles> = (tx: Tx, repository: string, digest: Digest) => Promise<boolean>;

/** Runs several lifecycle listeners in order, in the same transaction. */
export function combineLifecycles<Tx extends CoreRoles>(...listeners: ManifestLifecycle<Tx>[]): ManifestLifecycle<Tx> {
  return {
    async pushed(tx, e) { for (const l of listeners) await l.pushed(tx, e); },
    async deleted(tx, e) { for (const l of listeners) await l.deleted(tx, e); },
    async repositoryDeleted(tx, e) { for (const l of listeners) await l.repositoryDeleted(tx, e); },
    async released(tx, events) { for (const l of listeners) await l.released(tx, events); },
    async rescanRequested(tx, e) { for (const l of listeners) await l.rescanRequested(tx, e); },
    async verdictChanged(tx, e) { for (const l of listeners) await l.verdictChanged(tx, e); },
  };
}
