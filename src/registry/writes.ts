/**
 * Changes of content: manifest push, deletes, and the one verdict path (patchManifest). Each
 * change, its attribute checks and the lifecycle hooks it calls (verdicts, outbox events) run
 * in ONE metadata transaction.
 */
import { Readable } from 'node:stream';
import type { Digest } from '../oci/index.ts';
import type { ChangeableAttributes, ManifestHead, ManifestInput, TagRecord } from '../metadata/metadata-store.ts';
import type { VerdictRecord } from '../quarantine/verdicts.ts';
import type { RequestFacts } from '../events/index.ts';
import { registryError } from '../errors/index.ts';
import { changeVerdicts } from '../quarantine/verdict-change.ts';
import { IMAGE_CONFIG_MEDIA_TYPES, MAX_IMAGE_CONFIG_BYTES, readImagePlatform, requiredBlobs, type ParsedManifest } from '../oci/index.ts';
import type { StoreRoles } from '../persistence/index.ts';
import type { ManifestPatch, ManifestReference, ManifestView, PushInput, VerdictPatch, VerdictTx } from './registry.ts';
import { missing, visibleRepository, type Ctx } from './context.ts';
import { requireAttribute } from './attributes.ts';
import { tagNamesOf, withVerdict } from './lists.ts';
import { existingManifest } from './items.ts';
import { verifiedReferences } from './verified-references.ts';
import { readAtMost } from './read-at-most.ts';
import { claimReferences } from '../lifecycle/gc/claims.ts';
import { followAtPush, followSubjectsIn } from './follow.ts';
import { binManifest } from './recycle-bin.ts';
import { checkQuota } from '../lifecycle/quota/quotas.ts';

async function imagePlatform(ctx: Ctx, m: ParsedManifest): Promise<{ architecture?: string; os?: string }> {
  if (!m.config || !IMAGE_CONFIG_MEDIA_TYPES.has(m.config.mediaType) || m.config.size > MAX_IMAGE_CONFIG_BYTES) return {};
  const stream = await ctx.blobs.open(m.config.digest);
  if (!stream) return {};
  const bytes = await readAtMost(stream, MAX_IMAGE_CONFIG_BYTES);
  stream.destroy();
  return bytes ? readImagePlatform(bytes) : {};
}

export async function pushManifest(ctx: Ctx, name: string, input: PushInput, facts: RequestFacts): Promise<void> {
  const { store } = ctx;
  const { digest, bytes, manifest: m, tags } = input;
  const references = await verifiedReferences(ctx, name, m);
  if (references.missing.length > 0) {
    const n = references.missing.length;
    throw registryError('MANIFEST_BLOB_UNKNOWN', `manifest references ${n === 1 ? 'a blob or manifest' : `${n} blobs or manifests`} unknown to repository ${name}: ${references.missing.slice(0, 5).join(', ')}`, { digest: references.missing[0], missing: references.missing });
  }
  const platform = await imagePlatform(ctx, m);
  await ctx.blobs.put(digest, Readable.from([bytes]), bytes.length);

  const sizes = m.kind === 'index' ? m.manifests.map((c) => c.size) : [m.config?.size ?? 0, ...m.layers.map((l) => l.size)];
  const record: ManifestInput = {
    digest,
    mediaType: m.mediaType,
    size: bytes.length,
    ...(m.artifactType ? { artifactType: m.artifactType } : {}),
    ...(m.subject ? { subject: m.subject.digest } : {}),
    ...(m.config ? { configDigest: m.config.digest, configMediaType: m.config.mediaType } : {}),
    ...platform,
    imageSize: bytes.length + sizes.reduce((a, b) => a + b, 0),
    blobs: references.blobs,
    children: m.manifests.map((c) => ({
      digest: c.digest,
      ...(c.platform?.architecture ? { architecture: c.platform.architecture } : {}),
      ...(c.platform?.os ? { os: c.platform.os } : {}),
    })),
    ...(m.annotations ? { annotations: m.annotations } : {}),
  };

  await store.transaction(async (tx) => {
    const existing = await tx.manifests.get(name, digest);
    // Decision: a write-locked repository, manifest or tag refuses every push that would
    // touch it, even one that changes nothing (as ACR does with writeEnabled=false).
    const holders: [string, ChangeableAttributes | undefined][] = [
      [`repository ${name}`, await tx.repositories.get(name)],
      [`manifest ${digest}`, existing],
    ];
    for (const t of tags) {
      const current = await tx.tags.get(name, t);
      holders.push([`tag ${t}`, current]);
      if (current && current.digest !== digest) holders.push([`manifest ${current.digest}`, await tx.manifests.get(name, current.digest)]);
    }
    requireAttribute('writeEnabled', holders);
    // Claimed against the garbage collector (src/lifecycle/gc/claims.ts): what this manifest
    // references cannot be deleted under it. Bytes collected since verifiedReferences looked
    // are refused as unknown; the manifest's own bytes are in hand, so they are written again.
    const children = m.manifests.map((c) => c.digest);
    const gone = await claimReferences(tx, ctx.blobs, [digest, ...references.blobs, ...children]);
    if (gone.includes(digest)) {
      await ctx.blobs.put(digest, Readable.from([bytes]), bytes.length);
      await tx.gc.forgetTombstone(digest);
    }
    // Under the locks, what verifiedReferences found is looked at again: the collector may have
    // removed a link no manifest referenced yet, or deleted the bytes, since.
    const lost = gone.filter((d) => d !== digest);
    for (const d of requiredBlobs(m)) if (!lost.includes(d) && !(await tx.blobs.get(name, d))) lost.push(d);
    for (const c of children) if (!(await tx.manifests.getHead(name, c))) lost.push(c);
    if (lost.length > 0) throw registryError('MANIFEST_BLOB_UNKNOWN', `manifest references blobs garbage-collected while it was pushed: ${lost.slice(0, 5).join(', ')}; push them again`, { digest: lost[0], missing: lost });
    // A new manifest adds its own bytes (its blobs were counted when linked); unless they are a link already.
    if (!existing && !(await tx.blobs.get(name, digest))) await checkQuota(tx, name, bytes.length);
    await tx.repositories.ensure(name);
    const { created } = await tx.manifests.put(name, record);
    const tagged: string[] = [];
    const moved: { tag: string; from: Digest }[] = [];
    for (const t of tags) {
      const { previous } = await tx.tags.put(name, t, digest);
      if (previous === digest) continue;
      tagged.push(t);
      if (previous) moved.push({ tag: t, from: previous });
    }
    // Before the verdicts the push causes (a follower's, the push-time rule's), so the log keeps
    // cause before effect; late in the transaction, so on PostgreSQL the audit chain's lock is
    // held only from here to the commit.
    await auditPush(tx, name, digest, { created, tagged, moved }, facts);
    // A signature or attestation takes its subject's verdict before the push-time rule runs.
    const follows = await followAtPush(tx, name, { digest, manifest: m, tags }, facts);
    const event = { repository: name, digest, mediaType: m.mediaType, size: bytes.length, created, ...(follows ? { follows } : {}), request: facts };
    if (tags.length === 0) await ctx.lifecycle.pushed(tx, event);
    for (const t of tags) await ctx.lifecycle.pushed(tx, { ...event, tag: t });
  });
}

/**
 * The push in the audit log, for the image's history (src/registry/history.ts): who pushed,
 * which tags it took, and on every manifest a moved tag left, where the tag went. A re-push
 * that changes nothing (same bytes, tags already there) writes nothing.
 */
async function auditPush(tx: StoreRoles, name: string, digest: Digest, push: { created: boolean; tagged: string[]; moved: { tag: string; from: Digest }[] }, facts: RequestFacts): Promise<void> {
  if (!push.created && push.tagged.length === 0) return;
  const actor = facts.actor || 'anonymous';
  await tx.audit.append({
    actor,
    action: 'manifest.push',
    target: `${name}@${digest}`,
    before: push.moved.length ? { tags: push.moved.map((m) => ({ tag: m.tag, digest: m.from })) } : null,
    after: { created: push.created, tags: push.tagged },
    requestId: facts.id,
  });
  for (const m of push.moved) await tx.audit.append({ actor, action: 'tag.move', target: `${name}@${m.from}`, before: { tag: m.tag, digest: m.from }, after: { tag: m.tag, digest }, requestId: facts.id });
}

/** A tag deleted (DELETE /v2 by tag, /acr/v1 tag delete, retention), in the audit log of the manifest it named. */
async function deleteTagAudited(ctx: Ctx, name: string, tag: TagRecord, facts: RequestFacts | undefined): Promise<boolean> {
  return ctx.store.transaction(async (tx) => {
    if (!(await tx.tags.delete(name, tag.name))) return false;
    await tx.audit.append({ actor: facts?.actor || ctx.access.principal.name || 'anonymous', action: 'tag.delete', target: `${name}@${tag.digest}`, before: { tag: tag.name, digest: tag.digest }, after: null, ...(facts ? { requestId: facts.id } : {}) });
    return true;
  });
}

export async function deleteManifest(ctx: Ctx, name: string, ref: ManifestReference, facts: RequestFacts, options?: { formerTags?: TagRecord[] }): Promise<void> {
  const { store } = ctx;
  if (ref.kind === 'tag') {
    // Tag deletes raise no event (ACR: tag deletes are not `delete` events).
    const tag = await store.tags.get(name, ref.tag);
    if (!tag) throw missing.v2Tag(name, ref.tag);
    requireAttribute('deleteEnabled', [
      [`repository ${name}`, await store.repositories.get(name)],
      [`tag ${ref.tag}`, tag],
    ]);
    if (!(await deleteTagAudited(ctx, name, tag, facts))) throw registryError('MANIFEST_UNKNOWN', undefined, { tag: ref.tag });
    return;
  }
  await store.transaction(async (tx) => {
    const record = await tx.manifests.get(name, ref.digest);
    if (!record) throw registryError('MANIFEST_UNKNOWN', undefined, { digest: ref.digest });
    const tags = await tx.tags.list(name, { digest: ref.digest, n: 1000 });
    requireAttribute('deleteEnabled', [
      [`repository ${name}`, await tx.repositories.get(name)],
      [`manifest ${ref.digest}`, record],
      ...tags.map((t) => [`tag ${t.name}`, t] as [string, TagRecord]),
    ]);
    if (ctx.config.recycleBin.days > 0) {
      // Former tags of this manifest that it does not carry again now (a tag another manifest
      // took since is kept in the bin too; a restore then reports it under skippedTags).
      const former = (options?.formerTags ?? []).filter((t) => t.digest === ref.digest && !tags.some((c) => c.name === t.name));
      await binManifest(ctx, tx, record, [...tags, ...former], facts);
    } else {
      await tx.manifests.delete(name, ref.digest);
      // What the manifest referenced may now be garbage (collected after the grace period).
      await tx.gc.released(name, [ref.digest, ...record.blobs]);
    }
    await ctx.lifecycle.deleted(tx, { repository: name, digest: ref.digest, mediaType: record.mediaType, request: facts });
    await tx.audit.append({ actor: facts.actor || 'anonymous', action: 'manifest.delete', target: `${name}@${ref.digest}`, before: { tags: tags.map((t) => t.name) }, after: { recycled: ctx.config.recycleBin.days > 0 }, requestId: facts.id });
  });
}

export async function deleteBlob(ctx: Ctx, name: string, digest: Digest): Promise<void> {
  requireAttribute('deleteEnabled', [[`repository ${name}`, await ctx.store.repositories.get(name)]]);
  const unlinked = await ctx.store.transaction(async (tx) => {
    if (!(await tx.blobs.unlink(name, digest))) return false;
    await tx.gc.released(name, [digest]);
    return true;
  });
  if (!unlinked) throw registryError('BLOB_UNKNOWN', undefined, { digest });
}

/** /acr/v1 DELETE of a tag: visibility, existence and the gate first (a hidden tag is a missing one). */
export async function deleteTag(ctx: Ctx, name: string, tagName: string, lookup: (ctx: Ctx, name: string, tag: string) => Promise<unknown>): Promise<void> {
  await lookup(ctx, name, tagName);
  const tag = await ctx.store.tags.get(name, tagName);
  if (!tag) throw missing.acrTag(name, tagName);
  requireAttribute('deleteEnabled', [[`repository ${name}`, await ctx.store.repositories.get(name)], [`tag ${tagName}`, tag]]);
  await deleteTagAudited(ctx, name, tag, undefined);
}

export async function deleteRepository(ctx: Ctx, name: string, facts: RequestFacts): Promise<{ manifests: Digest[]; tags: string[] }> {
  const { store, gate, access } = ctx;
  await visibleRepository(ctx, name);
  // What the response may name, asked of the gate before the transaction (the gate reads
  // outside it; a manifest pushed in between is simply not named).
  const shown = new Set((await gate.visibleManifests(access, name, await store.manifests.list(name, {}))).map((m) => m.digest as string));
  const result = await store.transaction(async (tx) => {
    const repo = await tx.repositories.get(name);
    if (!repo) return undefined;
    requireAttribute('deleteEnabled', [[`repository ${name}`, repo]]);
    const manifests = await tx.manifests.list(name, {});
    for (const m of manifests) requireAttribute('deleteEnabled', [[`manifest ${m.digest}`, m]]);
    const tags = await tx.tags.list(name, {});
    for (const t of tags) requireAttribute('deleteEnabled', [[`tag ${t.name}`, t]]);
    const shownTags = new Set(tags.filter((t) => shown.has(t.digest)).map((t) => t.name));
    await tx.gc.releaseRepository(name);
    const removed = await tx.repositories.delete(name);
    if (!removed) return undefined;
    await ctx.lifecycle.repositoryDeleted(tx, {
      repository: name,
      manifests: manifests.map((m) => ({ digest: m.digest, mediaType: m.mediaType })),
      request: facts,
    });
    return { manifests: removed.manifests.filter((d) => shown.has(d)), tags: removed.tags.filter((t) => shownTags.has(t)) };
  });
  if (!result) throw missing.acrName(name);
  return result;
}

/**
 * THE verdict path: every verdict change (patchManifest, grandfather, the scan orchestrator and
 * the release policies through changeVerdictIn) is this call in the change's transaction:
 * validated, stored, audited, the lifecycle told (deferred `push` events on release), and the
 * subject's followers (its report, signature and attestation referrers, follow.ts) given the
 * new state. Access is the caller's to check first.
 */
export async function applyVerdict(ctx: Ctx, tx: StoreRoles, manifest: ManifestHead, change: VerdictPatch, facts: RequestFacts): Promise<VerdictRecord> {
  return (await applyVerdicts(ctx, tx, [{ manifest, change }], facts))[0]!;
}

/**
 * applyVerdict of several manifests of one repository in one go (a release policy's
 * re-evaluation batch): the same steps per change, with the reads and writes of all of them
 * batched (changeVerdicts, followSubjectsIn). Results in the order of `changes`.
 */
export async function applyVerdicts(ctx: Ctx, tx: StoreRoles, changes: readonly { manifest: ManifestHead; change: VerdictPatch }[], facts: RequestFacts): Promise<VerdictRecord[]> {
  const done = await changeVerdicts(tx, ctx.lifecycle, changes.map(({ manifest, change }) => ({ manifest, ...change, request: facts })));
  const moved = done.flatMap(({ record, before }, i) => (changes[i]!.change.state !== undefined && record.state !== before ? [{ subject: changes[i]!.manifest.digest, state: record.state }] : []));
  if (moved.length > 0) await followSubjectsIn(ctx, tx, changes[0]!.manifest.repository, moved, facts);
  return done.map((d) => d.record);
}

export function changeVerdictIn(ctx: Ctx, tx: VerdictTx, manifest: ManifestHead, change: VerdictPatch, facts: RequestFacts): Promise<VerdictRecord> {
  return changeVerdictsIn(ctx, tx, [{ manifest, change }], facts).then((r) => r[0]!);
}

export function changeVerdictsIn(ctx: Ctx, tx: VerdictTx, changes: readonly { manifest: ManifestHead; change: VerdictPatch }[], facts: RequestFacts): Promise<VerdictRecord[]> {
  for (const { manifest } of changes) {
    if (!ctx.access.can(manifest.repository, 'quarantine_write')) {
      return Promise.reject(registryError('DENIED', `changing a verdict needs quarantine write (AcrQuarantineWriter) on ${manifest.repository}`, { action: 'quarantine_write' }));
    }
  }
  // The caller's transaction is one of this store's (typed narrower by its module).
  return applyVerdicts(ctx, tx as StoreRoles, changes, facts);
}

export async function patchManifest(ctx: Ctx, name: string, digest: Digest, patch: ManifestPatch, facts: RequestFacts): Promise<ManifestView> {
  const { store, access } = ctx;
  const { attributes, verdict, note } = patch;
  const wantsVerdict = verdict.state !== undefined || verdict.details !== undefined;
  const manifest = await existingManifest(ctx, name, digest);
  if (wantsVerdict && !access.can(name, 'quarantine_write')) {
    throw registryError('DENIED', `setting quarantineState or quarantineDetails needs quarantine write (AcrQuarantineWriter) on ${name}`, { action: 'quarantine_write' });
  }
  if (Object.keys(attributes).length > 0 && !access.can(name, 'metadata_write')) {
    throw registryError('DENIED', `changing deleteEnabled, writeEnabled, readEnabled or listEnabled needs metadata_write on ${name}`, { action: 'metadata_write' });
  }
  // What the response shows must pass the gate too (a quarantine writer always does).
  await ctx.gate.checkManifestRead(access, manifest, 'digest', 'GET');
  const { record, stored } = await store.transaction(async (tx) => {
    const record = Object.keys(attributes).length > 0 ? ((await tx.manifests.updateAttributes(name, digest, attributes)) ?? manifest) : manifest;
    const stored = wantsVerdict
      ? await applyVerdict(ctx, tx, record, { ...verdict, ...(note ? { note } : {}) }, facts)
      : await tx.verdicts.get(name, digest);
    return { record, stored };
  });
  return withVerdict({ manifest: record, tags: await tagNamesOf(ctx, name, digest) }, stored);
}
