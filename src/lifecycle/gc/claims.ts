/**
 * Reference claims: how every change that creates a reference to a digest (a blob link after
 * an upload or a mount, a manifest push) stays safe against the garbage collector running at
 * the same moment on any node. The argument is in docs/storage-lifecycle.md ("Why the push
 * race cannot happen"); in short:
 *
 * - The collector deletes bytes only for a tombstoned digest, and only inside a transaction that
 *   holds the digest's lock and re-checked that nothing references it.
 * - A claim takes the same lock in the change's own transaction, so the change and a deletion
 *   never interleave. Under the lock, a digest with no tombstone still has its bytes (the
 *   tombstone is written, and committed, before any deletion, and kept after it); a tombstoned
 *   one is looked at in the store: bytes there, the tombstone is dropped and the collector
 *   will leave them; bytes gone, the change is refused (nothing links to nothing).
 */
import type { Digest } from '../../oci/index.ts';
import type { BlobStore } from '../../storage/blob-store.ts';
import type { BlobLinkStore, TransactionalStore, CoreRoles, SettingsStore } from '../../metadata/metadata-store.ts';
import { registryError } from '../../errors/index.ts';
import type { LifecycleRoles } from '../store/index.ts';
import { checkQuota } from '../quota/quotas.ts';

type ClaimRoles = LifecycleRoles & { blobs: BlobLinkStore; settings: SettingsStore };

/**
 * Locks `digests` against the collector for the rest of the transaction `tx` and returns those
 * whose bytes the collector already deleted (empty on the common path: one indexed lookup).
 */
export async function claimReferences(tx: LifecycleRoles, blobs: BlobStore, digests: readonly Digest[]): Promise<Digest[]> {
  const unique = [...new Set(digests)];
  await tx.gc.lock(unique);
  const gone: Digest[] = [];
  for (let i = 0; i < unique.length; i += 500) {
    for (const digest of await tx.gc.tombstoned(unique.slice(i, i + 500))) {
      if (await blobs.stat(digest)) await tx.gc.forgetTombstone(digest);
      else gone.push(digest);
    }
  }
  return gone;
}

/**
 * Links a blob whose bytes were just written (or found) to a repository, claimed against the
 * collector. Returns false, linking nothing, when the collector deleted the bytes meanwhile
 * (the caller refuses the upload, or falls back from a mount to an upload).
 */
export async function linkClaimed(tx: ClaimRoles, blobs: BlobStore, repository: string, digest: Digest, size: number): Promise<boolean> {
  if ((await claimReferences(tx, blobs, [digest])).length > 0) return false;
  // A link that already existed (an upload again, a mount onto a link) starts a new push: it
  // counts as in flight from now, not from when it was first made.
  if (await tx.blobs.get(repository, digest)) await tx.gc.relinked(repository, digest);
  else {
    // A new link adds its bytes to the repository's usage: its quota decides (DENIED over it).
    await checkQuota(tx, repository, size);
    await tx.blobs.link(repository, digest, size);
  }
  return true;
}

/** `linkClaimed` in its own transaction; an upload whose bytes were collected meanwhile is refused. */
export async function linkUploadedBlob(store: TransactionalStore<CoreRoles & LifecycleRoles>, blobs: BlobStore, repository: string, digest: Digest, size: number): Promise<void> {
  const linked = await store.transaction((tx) => linkClaimed(tx, blobs, repository, digest, size));
  if (!linked) {
    throw registryError('BLOB_UPLOAD_INVALID', `blob ${digest} was garbage-collected while this upload completed (an unreferenced copy of the same bytes was being deleted): upload it again`, { digest });
  }
}
