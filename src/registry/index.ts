/**
 * The registry service (contract and rules: registry.ts). `createRegistry(deps).as(access)`
 * gives a request's view; the view is one small object over shared dependencies, so creating
 * one per request costs nothing measurable. `deps` is read at each `as()`: pass the live
 * services object.
 */
import type { AccessContext } from '../access/actions.ts';
import type { Digest } from '../oci/index.ts';
import type { TagRecord } from '../metadata/metadata-store.ts';
import type { StoreRoles } from '../persistence/index.ts';
import type { Registry, RegistryView } from './registry.ts';
import type { Ctx, RegistryDeps } from './context.ts';
import { createManifestBytesCache, type ManifestBytesCache } from './manifest-bytes.ts';
import { createVerifiedBlobMemory, type VerifiedBlobMemory } from '../storage/verified-memory.ts';
import { checkUploadTarget, listReferrers, mountSource, readBlob, readManifest } from './reads.ts';
import { listManifests, listRepositories, listTagNames, listTags, visibleManifestRows, visibleTagRows } from './lists.ts';
import { manifest, repository, tag, updateRepository, updateTag } from './items.ts';
import { changeVerdictIn, changeVerdictsIn, deleteBlob, deleteManifest, deleteRepository, deleteTag, patchManifest, pushManifest } from './writes.ts';
import { audit, grandfather, heldMetadataTagDigest, preflight, queue, requestScan, rescan, seesHeldMetadata } from './quarantine-views.ts';
import { summary } from './summary.ts';
import { manifestHistory } from './history.ts';
import { prepareReferrers, recordReferrersIn } from './follow.ts';
import { exportAudit, verifyAudit } from './audit-chain.ts';
import { listRecycleBin, purgeManifest, restoreManifest } from './recycle-bin.ts';

export type * from './registry.ts';
export type { RegistryDeps } from './context.ts';
export { createTagPageCache, type TagPageCache } from './tag-pages.ts';
export { watchTagListChanges } from './tag-list-changes.ts';

class View implements RegistryView {
  private readonly ctx: Ctx;
  constructor(deps: RegistryDeps, cache: ManifestBytesCache, verified: VerifiedBlobMemory, readonly access: AccessContext) {
    // Read at each request: the composition root (and tests) may swap the gate or lifecycle.
    this.ctx = { store: deps.store, blobs: deps.blobs, gate: deps.gate, lifecycle: deps.lifecycle, logger: deps.logger, tagPages: deps.tagPages, config: deps.config, ...(deps.pullTimes ? { pullTimes: deps.pullTimes } : {}), ...(deps.metrics ? { metrics: deps.metrics } : {}), cache, verified, access };
  }
  readManifest(...a: Parameters<RegistryView['readManifest']>): ReturnType<RegistryView['readManifest']> {
    return readManifest(this.ctx, ...a);
  }
  readBlob(...a: Parameters<RegistryView['readBlob']>): ReturnType<RegistryView['readBlob']> {
    return readBlob(this.ctx, ...a);
  }
  listTagNames(...a: Parameters<RegistryView['listTagNames']>): ReturnType<RegistryView['listTagNames']> {
    return listTagNames(this.ctx, ...a);
  }
  listRepositories(...a: Parameters<RegistryView['listRepositories']>): ReturnType<RegistryView['listRepositories']> {
    return listRepositories(this.ctx, ...a);
  }
  listReferrers(...a: Parameters<RegistryView['listReferrers']>): ReturnType<RegistryView['listReferrers']> {
    return listReferrers(this.ctx, ...a);
  }
  visibleTagRows<T extends Pick<TagRecord, 'name' | 'digest'>>(repository: string, tags: T[]): Promise<T[]> {
    return visibleTagRows(this.ctx, repository, tags);
  }
  visibleManifestRows(...a: Parameters<RegistryView['visibleManifestRows']>): ReturnType<RegistryView['visibleManifestRows']> {
    return visibleManifestRows(this.ctx, ...a);
  }
  mountSource(...a: Parameters<RegistryView['mountSource']>): ReturnType<RegistryView['mountSource']> {
    return mountSource(this.ctx, ...a);
  }
  checkUploadTarget(...a: Parameters<RegistryView['checkUploadTarget']>): ReturnType<RegistryView['checkUploadTarget']> {
    return checkUploadTarget(this.ctx, ...a);
  }
  pushManifest(...a: Parameters<RegistryView['pushManifest']>): ReturnType<RegistryView['pushManifest']> {
    return pushManifest(this.ctx, ...a);
  }
  deleteManifest(...a: Parameters<RegistryView['deleteManifest']>): ReturnType<RegistryView['deleteManifest']> {
    return deleteManifest(this.ctx, ...a);
  }
  deleteBlob(...a: Parameters<RegistryView['deleteBlob']>): ReturnType<RegistryView['deleteBlob']> {
    return deleteBlob(this.ctx, ...a);
  }
  repository(...a: Parameters<RegistryView['repository']>): ReturnType<RegistryView['repository']> {
    return repository(this.ctx, ...a);
  }
  updateRepository(...a: Parameters<RegistryView['updateRepository']>): ReturnType<RegistryView['updateRepository']> {
    return updateRepository(this.ctx, ...a);
  }
  deleteRepository(...a: Parameters<RegistryView['deleteRepository']>): ReturnType<RegistryView['deleteRepository']> {
    return deleteRepository(this.ctx, ...a);
  }
  listTags(...a: Parameters<RegistryView['listTags']>): ReturnType<RegistryView['listTags']> {
    return listTags(this.ctx, ...a);
  }
  tag(...a: Parameters<RegistryView['tag']>): ReturnType<RegistryView['tag']> {
    return tag(this.ctx, ...a);
  }
  updateTag(...a: Parameters<RegistryView['updateTag']>): ReturnType<RegistryView['updateTag']> {
    return updateTag(this.ctx, ...a);
  }
  deleteTag(...a: Parameters<RegistryView['deleteTag']>) {
    return deleteTag(this.ctx, ...a, tag);
  }
  listManifests(...a: Parameters<RegistryView['listManifests']>): ReturnType<RegistryView['listManifests']> {
    return listManifests(this.ctx, ...a);
  }
  manifest(...a: Parameters<RegistryView['manifest']>): ReturnType<RegistryView['manifest']> {
    return manifest(this.ctx, ...a);
  }
  patchManifest(...a: Parameters<RegistryView['patchManifest']>): ReturnType<RegistryView['patchManifest']> {
    return patchManifest(this.ctx, ...a);
  }
  changeVerdictIn(...a: Parameters<RegistryView['changeVerdictIn']>): ReturnType<RegistryView['changeVerdictIn']> {
    return changeVerdictIn(this.ctx, ...a);
  }
  changeVerdictsIn(...a: Parameters<RegistryView['changeVerdictsIn']>): ReturnType<RegistryView['changeVerdictsIn']> {
    return changeVerdictsIn(this.ctx, ...a);
  }
  prepareReferrers(...a: Parameters<RegistryView['prepareReferrers']>): ReturnType<RegistryView['prepareReferrers']> {
    return prepareReferrers(this.ctx, ...a);
  }
  recordReferrersIn(...a: Parameters<RegistryView['recordReferrersIn']>): ReturnType<RegistryView['recordReferrersIn']> {
    return recordReferrersIn(this.ctx, ...a);
  }
  seesHeldMetadata(...a: Parameters<RegistryView['seesHeldMetadata']>): ReturnType<RegistryView['seesHeldMetadata']> {
    return seesHeldMetadata(this.ctx, ...a);
  }
  heldMetadataTagDigest(...a: Parameters<RegistryView['heldMetadataTagDigest']>): ReturnType<RegistryView['heldMetadataTagDigest']> {
    return heldMetadataTagDigest(this.ctx, ...a);
  }
  requestScan<T>(repository: string, target: { digest: Digest } | { tag: string }, queue: (tx: StoreRoles, digest: Digest) => Promise<T>): Promise<T> {
    return requestScan(this.ctx, repository, target, queue);
  }
  queue(...a: Parameters<RegistryView['queue']>): ReturnType<RegistryView['queue']> {
    return queue(this.ctx, ...a);
  }
  preflight(...a: Parameters<RegistryView['preflight']>): ReturnType<RegistryView['preflight']> {
    return preflight(this.ctx, ...a);
  }
  rescan(...a: Parameters<RegistryView['rescan']>): ReturnType<RegistryView['rescan']> {
    return rescan(this.ctx, ...a);
  }
  grandfather(...a: Parameters<RegistryView['grandfather']>): ReturnType<RegistryView['grandfather']> {
    return grandfather(this.ctx, ...a);
  }
  audit(...a: Parameters<RegistryView['audit']>): ReturnType<RegistryView['audit']> {
    return audit(this.ctx, ...a);
  }
  verifyAudit(): ReturnType<RegistryView['verifyAudit']> {
    return verifyAudit(this.ctx);
  }
  exportAudit(...a: Parameters<RegistryView['exportAudit']>): ReturnType<RegistryView['exportAudit']> {
    return exportAudit(this.ctx, ...a);
  }
  manifestHistory(...a: Parameters<RegistryView['manifestHistory']>): ReturnType<RegistryView['manifestHistory']> {
    return manifestHistory(this.ctx, ...a);
  }
  summary(): ReturnType<RegistryView['summary']> {
    return summary(this.ctx);
  }
  recycleBin(...a: Parameters<RegistryView['recycleBin']>): ReturnType<RegistryView['recycleBin']> {
    return listRecycleBin(this.ctx, ...a);
  }
  restoreManifest(...a: Parameters<RegistryView['restoreManifest']>): ReturnType<RegistryView['restoreManifest']> {
    return restoreManifest(this.ctx, ...a);
  }
  purgeManifest(...a: Parameters<RegistryView['purgeManifest']>): ReturnType<RegistryView['purgeManifest']> {
    return purgeManifest(this.ctx, ...a);
  }
}

export function createRegistry(deps: RegistryDeps): Registry {
  // Bytes of hot manifests (manifest-bytes.ts): consulted only after the metadata, the gate
  // and the attributes allowed the read.
  const cache = createManifestBytesCache();
  const verified = createVerifiedBlobMemory();
  return { as: (access) => new View(deps, cache, verified, access) };
}
