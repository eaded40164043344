/**
 * What every operation of the registry service shares: its dependencies, the caller, and the
 * rules of existence-after-visibility (visibleRepository, the "missing" errors a hidden thing
 * must be indistinguishable from).
 */
import type { Logger } from 'pino';
import type { Digest } from '../oci/index.ts';
import type { AccessContext } from '../access/actions.ts';
import type { MetadataStore, StoreRoles } from '../persistence/index.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import type { Gate } from '../quarantine/gate.ts';
import type { ManifestLifecycle } from '../events/index.ts';
import type { RepositoryRecord } from '../metadata/metadata-store.ts';
import type { LazaretConfig } from '../config/schema.ts';
import { RegistryError, registryError } from '../errors/index.ts';
import type { ManifestBytesCache } from './manifest-bytes.ts';
import type { VerifiedBlobMemory } from '../storage/verified-memory.ts';
import type { TagPageCache } from './tag-pages.ts';

export interface RegistryDeps {
  store: MetadataStore;
  blobs: BlobStore;
  gate: Gate;
  lifecycle: ManifestLifecycle<StoreRoles>;
  logger: Logger;
  /** Notes served manifest GETs (tag retention's "pulled recently"; batched, never a write per pull). */
  pullTimes?: { pulled(repository: string, digest: Digest): void };
  /** Soft delete's setting (deleteManifest). */
  config: Pick<LazaretConfig, 'recycleBin'>;
  /** Cached /v2 tags-list pages (tag-pages.ts); the composition root invalidates it on every change. */
  tagPages: TagPageCache;
  /** When metrics are on: how large whole-blob GETs were checked (lazaret_blob_verifications_total). */
  metrics?: { blobVerifications: { inc(labels: { result: BlobVerification }): void } };
}

/** hashed: this read was hashed and matched; remembered: a version verified before, not hashed; mismatch: served short. */
export type BlobVerification = 'hashed' | 'remembered' | 'mismatch';

export interface Ctx extends RegistryDeps {
  access: AccessContext;
  cache: ManifestBytesCache;
  /** Large blob versions this process verified in full (src/storage/verified-memory.ts). */
  verified: VerifiedBlobMemory;
}

/** The answers a hidden thing must be identical to, per API (their messages differ). */
export const missing = {
  v2Name: (name: string) => registryError('NAME_UNKNOWN', `repository ${name} is not known to the registry`, { name }),
  v2Tag: (name: string, tag: string, headers?: Record<string, string>) =>
    registryError('MANIFEST_UNKNOWN', `manifest tagged ${tag} is not in repository ${name}`, { tag }, headers),
  acrName: (name: string) => registryError('NAME_UNKNOWN', undefined, { name }),
  acrTag: (name: string, tag: string, headers?: Record<string, string>) =>
    registryError('MANIFEST_UNKNOWN', `manifest tagged by "${tag}" is not found`, { name, tag }, headers),
  acrManifest: (name: string, digest: string) => registryError('MANIFEST_UNKNOWN', `manifest ${digest} is not found`, { name, digest }),
};

/**
 * A tag read the gate refused looks like a missing tag. Only a principal with push on the
 * repository (who may have pushed it) gets the gate's `Warning: 299` saying why; for everyone
 * else the answer is byte-identical to a missing tag's.
 */
export function hiddenTag(ctx: Ctx, repository: string, refusal: unknown, asMissing: (headers?: Record<string, string>) => RegistryError): RegistryError {
  if (!(refusal instanceof RegistryError) || refusal.status !== 404) throw refusal;
  return asMissing(ctx.access.can(repository, 'push') ? refusal.headers : undefined);
}

/**
 * The repository, when it exists AND the caller can see something in it; otherwise the
 * `asMissing` error, the same for both (a held-only repository does not exist for a caller
 * without quarantine read). Asked before any lookup inside the repository.
 */
export async function visibleRepository(ctx: Ctx, name: string, asMissing: (name: string) => RegistryError = missing.acrName): Promise<RepositoryRecord> {
  const repo = await ctx.store.repositories.get(name);
  if (!repo) throw asMissing(name);
  if ((await ctx.gate.visibleRepositories(ctx.access, [name])).length === 0) throw asMissing(name);
  return repo;
}
