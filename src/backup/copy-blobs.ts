/**
 * Copies inventoried blobs from one BlobStore to another through the contract: `put` verifies
 * each digest and size on the way (a damaged source blob is reported, never copied), and a
 * blob the target already holds at the right size is skipped (incremental backups). A few at
 * a time: enough to overlap reads and writes, bounded in memory (blobs stream).
 */
import type { BlobStore } from '../storage/blob-store.ts';
import type { InventoryEntry } from './inventory.ts';

const PARALLEL = 4;

export async function copyBlobs(inventory: InventoryEntry[], from: BlobStore, to: BlobStore) {
  let copied = 0;
  let alreadyThere = 0;
  const missing: string[] = [];
  const corrupt: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < inventory.length) {
      const { digest, size } = inventory[next++]!;
      const there = await to.stat(digest);
      if (there?.size === size) {
        alreadyThere++;
        continue;
      }
      const stream = await from.open(digest);
      if (!stream) {
        missing.push(digest);
        continue;
      }
      try {
        await to.put(digest, stream, size);
        copied++;
      } catch {
        stream.destroy();
        corrupt.push(digest);
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return { copied, alreadyThere, missing: missing.sort(), corrupt: corrupt.sort() };
}
