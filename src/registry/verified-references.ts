/**
 * What a pushed manifest references, checked against what the registry stores.
 *
 * `missing`: required blobs (config and distributable layers, src/oci/manifest.ts
 * requiredBlobs) not linked in the repository, and child manifests not in it.
 *
 * `blobs`: the blobs recorded as the manifest's references, which is what lets a Passed
 * verdict release a blob to pullers (the gate's blob rule). Only descriptors the registry
 * VERIFIED count: a required descriptor whose digest is linked in the repository with exactly
 * the declared size. A foreign / non-distributable descriptor (or any with `urls`) is never
 * fetched from this registry, so it never releases a stored blob, and neither does a
 * descriptor whose size disagrees with the stored blob's: otherwise a pusher could list a held
 * layer that way, have the (layer-less, to a scanner) manifest pass, and free the layer.
 */
import type { Digest } from '../oci/index.ts';
import { requiredBlobs, type ParsedManifest } from '../oci/index.ts';
import type { Ctx } from './context.ts';

export async function verifiedReferences(ctx: Ctx, name: string, m: ParsedManifest): Promise<{ missing: Digest[]; blobs: Digest[] }> {
  const required = new Set(requiredBlobs(m));
  const sizes = new Map<Digest, number>();
  const missing: Digest[] = [];
  for (const d of required) {
    const link = await ctx.store.blobs.get(name, d);
    if (link) sizes.set(d, link.size);
    else missing.push(d);
  }
  for (const c of m.manifests) if (!(await ctx.store.manifests.getHead(name, c.digest))) missing.push(c.digest);
  const blobs = new Set<Digest>();
  for (const d of [...(m.config ? [m.config] : []), ...m.layers]) {
    if (required.has(d.digest) && sizes.get(d.digest) === d.size && !(d.urls && d.urls.length > 0)) blobs.add(d.digest);
  }
  return { missing: [...new Set(missing)], blobs: [...blobs] };
}
