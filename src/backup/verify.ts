/**
 * `lazaret verify`: re-hashes every blob the metadata references against its digest and
 * reports the missing and the corrupt ones (wrong size or content). With `repair`, corrupt
 * blobs are unlinked from the store: the registry then answers BLOB_UNKNOWN for them instead
 * of refusing a damaged blob on every read, and a client pushing the image again restores
 * them (a push of an existing blob would otherwise be a no-op). Missing blobs cannot be
 * repaired here: restore them from a backup, or push the image again.
 *
 * Reads the database without migrating it and the store through the BlobStore contract, so
 * it runs next to a serving registry.
 */
import { createHash } from 'node:crypto';
import type { LazaretConfig } from '../config/schema.ts';
import { parseDigest } from '../oci/digest.ts';
import { withDatabase } from '../persistence/schema-admin.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { configuredBlobStore } from './blob-source.ts';
import { blobInventory, type InventoryEntry } from './inventory.ts';

export interface VerifyReport {
  checked: number;
  bytes: number;
  missing: string[];
  corrupt: { digest: string; problem: string }[];
  /** Corrupt blobs removed from the store (with repair). */
  repaired: string[];
}

async function check(store: BlobStore, entry: InventoryEntry): Promise<'ok' | 'missing' | string> {
  const info = await store.stat(entry.digest);
  if (!info) return 'missing';
  if (info.size !== entry.size) return `size ${info.size}, recorded ${entry.size}`;
  const parsed = parseDigest(entry.digest);
  if (!parsed) return 'unsupported digest';
  const stream = await store.open(entry.digest);
  if (!stream) return 'missing';
  const hash = createHash(parsed.algorithm);
  for await (const chunk of stream) hash.update(chunk as Buffer);
  const actual = hash.digest('hex');
  return actual === parsed.hex ? 'ok' : `content hashes to ${parsed.algorithm}:${actual}`;
}

export async function verify(config: LazaretConfig, options: { repair?: boolean } = {}): Promise<VerifyReport> {
  const inventory = await withDatabase(config, (db) => blobInventory(db));
  const { store } = configuredBlobStore(config);
  const report: VerifyReport = { checked: 0, bytes: 0, missing: [], corrupt: [], repaired: [] };
  let next = 0;
  const worker = async () => {
    while (next < inventory.length) {
      const entry = inventory[next++]!;
      const result = await check(store, entry);
      report.checked++;
      if (result === 'ok') report.bytes += entry.size;
      else if (result === 'missing') report.missing.push(entry.digest);
      else {
        report.corrupt.push({ digest: entry.digest, problem: result });
        if (options.repair && (await store.delete(entry.digest))) report.repaired.push(entry.digest);
      }
    }
  };
  await Promise.all(Array.from({ length: 2 }, worker));
  report.missing.sort();
  report.corrupt.sort((a, b) => (a.digest < b.digest ? -1 : 1));
  report.repaired.sort();
  return report;
}
