/**
 * The blob inventory: every digest the metadata references (blobs linked from a repository and
 * manifests, whose bytes are in the blob store too), each once, with its recorded size. It is
 * what a backup copies, what a restore brings back and what `lazaret verify` re-hashes.
 */
import type { Kysely } from 'kysely';
import type { Digest } from '../oci/index.ts';
import type { CoreTables } from '../metadata/tables/index.ts';

export interface InventoryEntry {
  digest: Digest;
  size: number;
}

export async function blobInventory(db: Kysely<any>): Promise<InventoryEntry[]> {
  const k = db as Kysely<CoreTables>;
  const [links, manifests] = await Promise.all([
    k.selectFrom('blob_links').select((eb) => ['digest', eb.fn.max('size').as('size')]).groupBy('digest').execute(),
    k.selectFrom('manifests').select((eb) => ['digest', eb.fn.max('size').as('size')]).groupBy('digest').execute(),
  ]);
  const all = new Map<string, number>();
  for (const r of [...links, ...manifests]) all.set(r.digest, Number(r.size));
  return [...all].sort(([a], [b]) => (a < b ? -1 : 1)).map(([digest, size]) => ({ digest: digest as Digest, size }));
}
