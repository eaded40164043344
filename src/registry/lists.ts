/**
 * Lists: /v2 tags and catalog, /acr/v1 tags and manifests. Every page is assembled from the
 * rows the caller may see (collectPage), and a time-ordered cursor naming something hidden
 * gives the empty page a missing one gives (the store's rule for a vanished `last`).
 */
import type { Digest } from '../oci/index.ts';
import type { ListableTag, ManifestRecord, TagRecord } from '../metadata/metadata-store.ts';
import type { ListPage, ManifestView, OrderBy, Page, TagView } from './registry.ts';
import { missing, visibleRepository, type Ctx } from './context.ts';
import { collectPage } from './paging.ts';

export const visibleTagRows = <T extends Pick<TagRecord, 'name' | 'digest'>>(ctx: Ctx, repository: string, tags: T[]): Promise<T[]> => ctx.gate.visibleTags(ctx.access, repository, tags);
export const visibleManifestRows = (ctx: Ctx, repository: string, manifests: ManifestRecord[]): Promise<ManifestRecord[]> => ctx.gate.visibleManifests(ctx.access, repository, manifests);

const EMPTY = { items: [], more: false };

export async function listTagNames(ctx: Ctx, name: string, page: ListPage): Promise<Page<string>> {
  const { store, gate, access, tagPages } = ctx;
  // A cached page is keyed by what the caller may see (tag-pages.ts), never by who it is.
  const key = `${page.n}\0${page.last ?? ''}\0${(await gate.hidesHeld(access, name)) ? 'released' : 'all'}`;
  const found = await tagPages.lookup(gate, name, key);
  if ('page' in found) return found.page;
  if (!(await store.repositories.get(name))) throw missing.v2Name(name);
  // One statement per page: names and digests of tags whose tag and manifest are listable
  // (listEnabled checked in SQL), then the gate once for the whole batch.
  const { items, more } = await collectPage<ListableTag>(
    page,
    (after, limit) => store.tags.listListable(name, { ...(after ? { last: after } : {}), n: limit }),
    (batch) => gate.visibleTags(access, name, batch),
    (t) => t.name,
  );
  // A repository in which the caller can see nothing does not exist for it (as in the catalog
  // and /acr/v1). Asked only for an empty page, so a normal list costs nothing more.
  if (items.length === 0 && (await gate.visibleRepositories(access, [name])).length === 0) throw missing.v2Name(name);
  const result = { items: items.map((t) => t.name), more };
  tagPages.put(gate, name, key, result, found.stamp);
  return result;
}

export async function listRepositories(ctx: Ctx, page: ListPage): Promise<Page<string>> {
  const { store, gate, access } = ctx;
  return collectPage<string>(
    page,
    // listEnabled is checked in SQL (one statement per page, not one lookup per name); then the
    // gate once for the whole batch.
    (after, limit) => store.repositories.listListable({ ...(after ? { last: after } : {}), n: limit }),
    (batch) => gate.visibleRepositories(access, batch),
    (name) => name,
  );
}

/** For a time order, whether the cursor names something the caller may see (else: empty page). */
async function timeCursorVisible(ctx: Ctx, name: string, orderBy: OrderBy, last: string | undefined, kind: 'tag' | 'manifest'): Promise<boolean> {
  if (orderBy === 'none' || last === undefined) return true;
  if (kind === 'tag') {
    const tag = await ctx.store.tags.get(name, last);
    return !!tag && (await ctx.gate.visibleTags(ctx.access, name, [tag])).length === 1;
  }
  const manifest = await ctx.store.manifests.get(name, last as Digest);
  return !!manifest && (await ctx.gate.visibleManifests(ctx.access, name, [manifest])).length === 1;
}

export async function listTags(ctx: Ctx, name: string, page: ListPage & { orderBy: OrderBy; digest?: Digest }): Promise<Page<TagView>> {
  const { store, gate, access } = ctx;
  await visibleRepository(ctx, name);
  if (!(await timeCursorVisible(ctx, name, page.orderBy, page.last, 'tag'))) return EMPTY;
  const { items, more } = await collectPage<TagRecord>(
    page,
    (after, n) => store.tags.list(name, { orderBy: page.orderBy, n, ...(after !== undefined ? { last: after } : {}), ...(page.digest ? { digest: page.digest } : {}) }),
    async (batch) => (await gate.visibleTags(access, name, batch)).filter((t) => t.listEnabled),
    (t) => t.name,
  );
  const verdicts = await store.verdicts.getMany(name, items.map((t) => t.digest));
  return { items: items.map((tag) => withVerdict({ tag }, verdicts.get(tag.digest))), more };
}

export async function listManifests(ctx: Ctx, name: string, page: ListPage & { orderBy: OrderBy }): Promise<Page<ManifestView>> {
  const { store, gate, access } = ctx;
  await visibleRepository(ctx, name);
  if (!(await timeCursorVisible(ctx, name, page.orderBy, page.last, 'manifest'))) return EMPTY;
  const { items, more } = await collectPage<ManifestRecord>(
    page,
    (after, n) => store.manifests.list(name, { orderBy: page.orderBy, n, ...(after !== undefined ? { last: after } : {}) }),
    async (batch) => (await gate.visibleManifests(access, name, batch)).filter((m) => m.listEnabled),
    (m) => m.digest,
  );
  const digests = items.map((m) => m.digest);
  const verdicts = await store.verdicts.getMany(name, digests);
  // The page's tags in one statement (one per manifest cost 77 us a manifest: bench/README.md "--scale").
  const tags = await store.tags.namesOf(name, digests);
  return { items: items.map((manifest) => withVerdict({ manifest, tags: tags.get(manifest.digest) ?? [] }, verdicts.get(manifest.digest))), more };
}

/** Names of the tags pointing at `digest` (the manifest itself was already let through the gate). */
export async function tagNamesOf(ctx: Ctx, name: string, digest: Digest): Promise<string[]> {
  return (await ctx.store.tags.list(name, { digest })).map((t) => t.name);
}

export const withVerdict = <T extends object, V>(view: T, verdict: V | undefined): T & { verdict?: V } => (verdict ? { ...view, verdict } : view);
