/**
 * Soft delete: a manifest deleted while `recycleBin.days` is set goes to the recycle bin
 * (docs/storage-lifecycle.md "Soft delete"). Here: putting it there (from deleteManifest), and
 * the Owner's list, restore and purge.
 *
 * Decisions:
 * - A binned manifest is gone for /v2 and /acr/v1, for everyone (quarantine readers too): it is
 *   not in the manifests table at all. Only Owners (registry `admin`) see the bin, through
 *   /api/v1; they see held metadata elsewhere too (configure), so the bin shows nothing new.
 * - A restore writes back the record and its attributes, and each tag it had that is still free;
 *   a tag pushed meanwhile to another manifest keeps its newer target (reported as skipped).
 *   The verdict is not touched (verdicts are sticky by digest): a held manifest restored is
 *   still held, and a restore raises no `push` event. Except a follower (a signature or
 *   attestation where a release policy governs, follow.ts): it takes its subject's current
 *   verdict, which may have changed while it was in the bin.
 */
import type { Digest } from '../oci/index.ts';
import type { ManifestInput, ManifestRecord, TagRecord } from '../metadata/metadata-store.ts';
import type { RequestFacts } from '../events/index.ts';
import type { StoreRoles } from '../persistence/index.ts';
import type { RecycledManifest } from '../lifecycle/recycle-bin/recycle-bin-store.ts';
import type { QuarantineState } from '../quarantine/verdicts.ts';
import { registryError } from '../errors/index.ts';
import { claimReferences } from '../lifecycle/gc/claims.ts';
import { purgeRecycled } from '../lifecycle/recycle-bin/purge.ts';
import { requireAttribute } from './attributes.ts';
import { followAtRestore } from './follow.ts';
import type { Ctx } from './context.ts';

const DAY_MS = 86_400_000;

export interface RecycleBinQuery {
  repository?: string;
  n: number;
  last?: string;
}

export interface RecycledView extends RecycledManifest {
  quarantineState?: QuarantineState;
}

export interface RestoreResult {
  entry: RecycledManifest;
  /** Tags pointed at the manifest again. */
  tags: string[];
  /** Tags it had that now name another manifest (left as they are). */
  skippedTags: string[];
}

function requireOwner(ctx: Ctx) {
  if (!ctx.access.canRegistry('admin')) throw registryError('DENIED', 'the recycle bin needs the registry admin permission (Owner)', { action: 'admin' });
}

const notInBin = (repository: string, digest: string) => registryError('NOT_FOUND', `manifest ${digest} of repository ${repository} is not in the recycle bin`, { repository, digest });

/**
 * In deleteManifest's transaction, when soft delete is on: the manifest goes to the bin with the
 * tags it had. Its references move to the bin's rows, so nothing is released (the collector
 * keeps its blobs until the entry expires or is purged).
 */
export async function binManifest(ctx: Ctx, tx: StoreRoles, record: ManifestRecord, tags: TagRecord[], facts: RequestFacts): Promise<void> {
  const now = Date.now();
  const { repository, digest, createdAt, updatedAt: _updated, ...kept } = record;
  await tx.recycleBin.put({
    repository,
    digest,
    mediaType: record.mediaType,
    size: record.size,
    deletedAt: new Date(now),
    expiresAt: new Date(now + ctx.config.recycleBin.days * DAY_MS),
    deletedBy: facts.actor || 'anonymous',
    record: { ...kept, digest, createdAt: createdAt.toISOString() },
    tags: tags.map((t) => ({ name: t.name, deleteEnabled: t.deleteEnabled, writeEnabled: t.writeEnabled, readEnabled: t.readEnabled, listEnabled: t.listEnabled })),
  });
  await tx.manifests.delete(repository, digest);
}

export async function listRecycleBin(ctx: Ctx, query: RecycleBinQuery): Promise<{ entries: RecycledView[]; next?: string }> {
  requireOwner(ctx);
  const page = await ctx.store.recycleBin.list({ n: query.n + 1, ...(query.repository ? { repository: query.repository } : {}), ...(query.last ? { last: query.last } : {}) });
  const entries: RecycledView[] = [];
  for (const e of page.slice(0, query.n)) {
    const verdict = await ctx.store.verdicts.get(e.repository, e.digest);
    entries.push({ ...e, ...(verdict ? { quarantineState: verdict.state } : {}) });
  }
  const last = entries.at(-1);
  return { entries, ...(page.length > query.n && last ? { next: `${last.repository}@${last.digest}` } : {}) };
}

export async function restoreManifest(ctx: Ctx, repository: string, digest: Digest, facts: RequestFacts): Promise<RestoreResult> {
  requireOwner(ctx);
  return ctx.store.transaction(async (tx) => {
    const entry = await tx.recycleBin.get(repository, digest);
    if (!entry) throw notInBin(repository, digest);
    const { createdAt: _created, deleteEnabled, writeEnabled, readEnabled, listEnabled, ...input } = entry.record;
    requireAttribute('writeEnabled', [[`repository ${repository}`, await tx.repositories.get(repository)]]);
    // The bin kept everything referenced; claimed all the same, like a push (a tombstone
    // written before the delete, for bytes uploaded again since, is dropped here).
    const children = input.children.map((c) => c.digest);
    const lost = await claimReferences(tx, ctx.blobs, [digest, ...input.blobs, ...children]);
    for (const b of input.blobs) if (!lost.includes(b) && !(await tx.blobs.get(repository, b))) lost.push(b);
    for (const c of children) if (!lost.includes(c) && !(await tx.manifests.getHead(repository, c))) lost.push(c);
    if (lost.length > 0) {
      throw registryError('CONFLICT', `manifest ${digest} cannot be restored: it references ${lost.length === 1 ? 'a blob or manifest' : `${lost.length} blobs or manifests`} no longer in repository ${repository} (${lost.slice(0, 5).join(', ')}); restore an index's children first`, { missing: lost });
    }
    if (!(await tx.manifests.getHead(repository, digest))) {
      await tx.manifests.put(repository, input satisfies ManifestInput);
      if (!deleteEnabled || !writeEnabled || !readEnabled || !listEnabled) await tx.manifests.updateAttributes(repository, digest, { deleteEnabled, writeEnabled, readEnabled, listEnabled });
    }
    const restored: string[] = [];
    const skippedTags: string[] = [];
    for (const t of entry.tags) {
      const current = await tx.tags.get(repository, t.name);
      if (current && current.digest !== digest) {
        skippedTags.push(t.name);
        continue;
      }
      if (!current) {
        await tx.tags.put(repository, t.name, digest);
        const { name: _n, ...attributes } = t;
        if (Object.values(attributes).includes(false)) await tx.tags.updateAttributes(repository, t.name, attributes);
      }
      restored.push(t.name);
    }
    await tx.recycleBin.remove(repository, digest);
    const follows = await followAtRestore(ctx, tx, repository, digest, facts);
    await tx.audit.append({
      actor: facts.actor || 'anonymous',
      action: 'recycle-bin.restore',
      target: `${repository}@${digest}`,
      details: { tags: restored, skippedTags, deletedAt: entry.deletedAt.toISOString(), deletedBy: entry.deletedBy, ...(follows ? { follows } : {}) },
      requestId: facts.id,
    });
    return { entry, tags: restored, skippedTags };
  });
}

export async function purgeManifest(ctx: Ctx, repository: string, digest: Digest, facts: RequestFacts): Promise<RecycledManifest> {
  requireOwner(ctx);
  return ctx.store.transaction(async (tx) => {
    const entry = await tx.recycleBin.get(repository, digest);
    if (!entry || !(await purgeRecycled(tx, entry))) throw notInBin(repository, digest);
    await tx.audit.append({ actor: facts.actor || 'anonymous', action: 'recycle-bin.purge', target: `${repository}@${digest}`, details: { deletedAt: entry.deletedAt.toISOString(), deletedBy: entry.deletedBy }, requestId: facts.id });
    return entry;
  });
}
