/**
 * Single items of /acr/v1: a repository's, a tag's and a manifest's attributes. Visibility of
 * the repository first, then existence, then the gate (registry.ts).
 */
import type { Digest } from '../oci/index.ts';
import type { ChangeableAttributes, RepositoryRecord } from '../metadata/metadata-store.ts';
import type { ManifestView, RepositoryView, TagView } from './registry.ts';
import { hiddenTag, missing, visibleRepository, type Ctx } from './context.ts';
import { tagNamesOf, withVerdict } from './lists.ts';
import type { ManifestRecord } from '../metadata/metadata-store.ts';

/** The manifest, or the "missing" answer: NAME_UNKNOWN when the caller can see nothing in the repository. */
export async function existingManifest(ctx: Ctx, name: string, digest: Digest): Promise<ManifestRecord> {
  const record = await ctx.store.manifests.get(name, digest);
  if (record) return record;
  await visibleRepository(ctx, name);
  throw missing.acrManifest(name, digest);
}

export async function repository(ctx: Ctx, name: string): Promise<RepositoryView> {
  return repositoryView(ctx, await visibleRepository(ctx, name));
}

export async function updateRepository(ctx: Ctx, name: string, patch: Partial<ChangeableAttributes>): Promise<RepositoryView> {
  await visibleRepository(ctx, name);
  const updated = await ctx.store.repositories.updateAttributes(name, patch);
  if (!updated) throw missing.acrName(name);
  return repositoryView(ctx, updated);
}

/**
 * Counts and lastUpdateTime as the caller may see them: while held content is hidden from it,
 * only released manifests and their tags count, and the repository was last updated when the
 * newest of those was (a held push must not move the time a puller sees).
 */
async function repositoryView(ctx: Ctx, repo: RepositoryRecord): Promise<RepositoryView> {
  if (!(await ctx.gate.hidesHeld(ctx.access, repo.name))) return { record: repo, ...(await ctx.store.repositories.counts(repo.name)) };
  const counts = await ctx.store.verdicts.releasedCounts(repo.name);
  return { record: { ...repo, updatedAt: await visibleUpdatedAt(ctx, repo) }, ...counts };
}

async function visibleUpdatedAt(ctx: Ctx, repo: RepositoryRecord): Promise<Date> {
  let newest = repo.createdAt.getTime();
  let last: string | undefined;
  const shown = new Set<string>();
  for (;;) {
    const batch = await ctx.store.manifests.list(repo.name, { n: 1000, ...(last ? { last } : {}) });
    for (const m of await ctx.gate.visibleManifests(ctx.access, repo.name, batch)) {
      shown.add(m.digest);
      newest = Math.max(newest, m.updatedAt.getTime());
    }
    if (batch.length < 1000) break;
    last = batch.at(-1)!.digest;
  }
  last = undefined;
  for (;;) {
    const batch = await ctx.store.tags.list(repo.name, { n: 1000, ...(last ? { last } : {}) });
    for (const t of batch) if (shown.has(t.digest)) newest = Math.max(newest, t.updatedAt.getTime());
    if (batch.length < 1000) break;
    last = batch.at(-1)!.name;
  }
  return new Date(newest);
}

/** A tag and its manifest, after the gate (a held tag looks absent). */
export async function tag(ctx: Ctx, name: string, tagName: string): Promise<TagView> {
  await visibleRepository(ctx, name);
  const record = await ctx.store.tags.get(name, tagName);
  if (!record) throw missing.acrTag(name, tagName);
  const manifest = await ctx.store.manifests.getHead(name, record.digest);
  if (!manifest) throw missing.acrTag(name, tagName);
  try {
    await ctx.gate.checkManifestRead(ctx.access, manifest, 'tag', 'GET');
  } catch (err) {
    throw hiddenTag(ctx, name, err, (headers) => missing.acrTag(name, tagName, headers));
  }
  return withVerdict({ tag: record }, await ctx.store.verdicts.get(name, record.digest));
}

export async function updateTag(ctx: Ctx, name: string, tagName: string, patch: Partial<ChangeableAttributes>): Promise<TagView> {
  await tag(ctx, name, tagName);
  const updated = await ctx.store.tags.updateAttributes(name, tagName, patch);
  if (!updated) throw missing.acrTag(name, tagName);
  return withVerdict({ tag: updated }, await ctx.store.verdicts.get(name, updated.digest));
}

/**
 * A manifest by digest, after the gate. Held: 403 IMAGE_QUARANTINED, as on /v2 and ACR (the
 * digest already says the content exists). A digest the repository does not have answers as
 * in a missing repository when the caller can see nothing there (existingManifest).
 */
export async function manifest(ctx: Ctx, name: string, digest: Digest): Promise<ManifestView> {
  const record = await existingManifest(ctx, name, digest);
  await ctx.gate.checkManifestRead(ctx.access, record, 'digest', 'GET');
  return withVerdict({ manifest: record, tags: await tagNamesOf(ctx, name, digest) }, await ctx.store.verdicts.get(name, digest));
}
