/**
 * The scan orchestrator's manifest lifecycle listener. Runs inside the push's (or rescan's, or
 * verdict change's) transaction, after quarantine's listener assigned the push-time verdict:
 *
 * - pushed: a manifest that is now held (policy on, verdict Quarantined) gets a scan job in
 *   the same transaction. Image manifests are scanned; an index's job derives its verdict from
 *   its children's. Other manifests (artifacts: signatures, attestations, users' SBOMs) get no
 *   job: they stay held until someone decides (the Release policy's subject). A Failed
 *   manifest pushed again is not rescanned (verdicts are sticky; ask for a rescan).
 * - rescanRequested (`POST /api/v1/quarantine/rescan`, the backlog before enabling the
 *   policy): a job (`backlog` when the manifest has no verdict, else `rescan`).
 * - Followers are not scanned: a signature or attestation whose verdict follows its subject's
 *   (`follows`, src/registry/follow.ts), like the orchestrator's own report referrers, which
 *   the registry service keeps in step with their subject.
 */
import type { HoldQuery, ManifestLifecycle } from '../events/index.ts';
import type { ScanTx as StoreRoles } from './store/index.ts';
import type { Digest } from '../oci/index.ts';
import { INDEX_MEDIA_TYPES } from '../oci/index.ts';
import { IMAGE_CONFIG_MEDIA_TYPES } from '../oci/index.ts';
import type { ScanJobKind, ScanReason } from './job-store.ts';

/** What a manifest's scan is: an image to send to a scanner, an index to derive, or nothing to scan. */
export async function scanKindOf(tx: StoreRoles, repository: string, digest: Digest): Promise<{ kind: ScanJobKind; mediaType: string } | undefined> {
  const m = await tx.manifests.getHead(repository, digest);
  if (!m) return undefined;
  if (INDEX_MEDIA_TYPES.has(m.mediaType)) return { kind: 'index', mediaType: m.mediaType };
  if (m.configMediaType && IMAGE_CONFIG_MEDIA_TYPES.has(m.configMediaType) && !m.subject) return { kind: 'image', mediaType: m.mediaType };
  return undefined;
}

/** Queues a scan of (repository, digest) in `tx` when it is scannable; true when a job is active afterwards. */
export async function queueScan(tx: StoreRoles, repository: string, digest: Digest, reason: ScanReason, onQueued?: (tx: StoreRoles) => void, scanner?: string): Promise<boolean> {
  const kind = await scanKindOf(tx, repository, digest);
  if (!kind) return false;
  const { created } = await tx.scanJobs.enqueue({ repository, digest, mediaType: kind.mediaType, kind: kind.kind, reason, ...(scanner ? { scanner } : {}) });
  if (created) onQueued?.(tx);
  return true;
}

export function createScanLifecycle(options: { isHeld: HoldQuery<StoreRoles>; onQueued?: (tx: StoreRoles) => void }): ManifestLifecycle<StoreRoles> {
  return {
    async pushed(tx, e) {
      if (e.follows || !(await options.isHeld(tx, e.repository, e.digest))) return;
      if ((await tx.verdicts.get(e.repository, e.digest))?.state === 'Failed') return;
      await queueScan(tx, e.repository, e.digest, 'push', options.onQueued);
    },
    async rescanRequested(tx, e) {
      if (e.follows) return;
      const verdict = await tx.verdicts.get(e.repository, e.digest);
      await queueScan(tx, e.repository, e.digest, verdict ? 'rescan' : 'backlog', options.onQueued);
    },
    verdictChanged: async () => {},
    deleted: async () => {},
    repositoryDeleted: async () => {},
    released: async () => {},
  };
}
