/**
 * `lazaret verify`: re-hashes every blob the metadata references against its digest and
 * reports the missing and the corrupt ones (wrong size or content). With `repair`, corrupt
 * blobs are removed from the store, and the repositories' links to them and to missing blobs
 * are dropped: the registry then answers BLOB_UNKNOWN for them on HEAD and GET alike instead of
 * refusing a damaged blob on every read, and a client pushing the image again restores them.
 * (A blob HEAD is answered from the links, so without dropping them a client would be told the
 * blob is there and skip uploading it.) Manifests whose bytes are missing are reported only:
 * restore them from a backup, or push the image again.
 *
 * Reads the database without migrating it and the store through the BlobStore contract, so
 * it runs next to a serving registry.
 */
import { createHash } from 'node:crypto';
import type { LazaretConfig } from '../config/schema.ts';
import { parseDigest } from '../oci/index.ts';
import { withDatabase } from '../persistence/index.ts';
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
  /** Digests, corrupt or missing, whose repository links were dropped (with repair). */
  unlinked: string[];
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
  const report: VerifyReport = { checked: 0, bytes: 0, missing: [], corrupt: [], repaired: [], unlinked: [] };
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
  if (options.repair) {
    const broken = [...report.missing, ...report.corrupt.map((c) => c.digest)];
    const dropped = await withDatabase(config, async (db) => {
      const out = new Set<string>();
      for (let i = 0; i < broken.length; i += 500) {
        const rows = await db.deleteFrom('blob_links').where('digest', 'in', broken.slice(i, i + 500)).returning('digest').execute();
        for (const r of rows) out.add(r.digest as string);
      }
      return out;
    });
    report.unlinked = [...dropped].sort();
  }
  return report;
}
