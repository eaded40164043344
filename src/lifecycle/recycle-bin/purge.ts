/**
 * Emptying one recycle-bin entry for good (an Owner's purge, or the collector at expiry): the
 * entry goes and what it referenced is released, exactly as a manifest delete without the bin
 * releases it; garbage collection frees it after its grace period.
 */
import type { LifecycleRoles } from '../store/index.ts';
import type { RecycledManifest } from './recycle-bin-store.ts';

export async function purgeRecycled(tx: LifecycleRoles, entry: RecycledManifest): Promise<boolean> {
  if (!(await tx.recycleBin.remove(entry.repository, entry.digest))) return false;
  await tx.gc.released(entry.repository, [entry.digest, ...entry.record.blobs]);
  return true;
}
