/**
 * Referrers whose verdict FOLLOWS their subject's (docs/architecture.md "One path for verdicts
 * and referrers"). They are never scanned nor evaluated as images: they are released exactly
 * when their subject is, and a Failed subject's followers stay Failed (never pullable by
 * pull-only principals). Two kinds:
 *
 * - the scan orchestrator's reports and SBOMs, recorded by `recordReferrersIn` in the scan's
 *   transaction (their link to subject and job is the scan module's table scan_artifacts; a
 *   user's manifest of the same artifactType is an ordinary push);
 * - signatures and attestations pushed into a repository a RELEASE POLICY governs: cosign's tag
 *   scheme (`sha256-<hex>.sig`, `.att`) and OCI 1.1 referrers whose artifactType (or config
 *   media type) is a signature or attestation type. Recognised from the manifest itself at push
 *   (`followAtPush`) and at every change of the subject's verdict. Under the registry-wide
 *   switch alone they stay ordinary manifests, as before.
 *
 * A follower gets its subject's verdict when it is recorded or pushed, and every later change
 * of the subject's verdict is copied to it in that change's transaction (`followSubjectsIn`,
 * called by the one verdict path, writes.ts applyVerdict), audited as `system`.
 *
 * Signatures and attestations are also RECORDED as followers (the quarantine store's
 * `verdicts.follow`) when they first follow: the tag scheme's link lasts only while the tag
 * `sha256-<hex>.sig` points at that manifest, and cosign moves the tag to a new manifest with
 * every new signature. Without the record, the old signature manifest kept the verdict it had
 * (Passed) after its image Failed, pullable by digest.
 */
import { Readable } from 'node:stream';
import type { RequestFacts } from '../events/index.ts';
import type { ManifestInput, ManifestRecord } from '../metadata/metadata-store.ts';
import type { ParsedManifest } from '../oci/index.ts';
import type { StoreRoles } from '../persistence/index.ts';
import type { QuarantineState } from '../quarantine/verdicts.ts';
import type { PreparedReferrer, ReferrerDocument, ReferrersRecord, VerdictTx } from './registry.ts';
import type { Ctx } from './context.ts';
import { digestOf, type Digest } from '../oci/index.ts';
import { MEDIA_TYPES } from '../oci/index.ts';
import { registryError } from '../errors/index.ts';
import { claimReferences } from '../lifecycle/gc/claims.ts';
import { governingOf } from '../release-policy/decide.ts';

/** cosign's tag scheme for an image's signatures and attestations (`.sbom` is a user's SBOM: an ordinary push). */
const COSIGN_TAG = /^sha256-([0-9a-f]{64})\.(sig|att)$/;

/** artifactTypes of OCI 1.1 signature and attestation referrers (cosign, Notation, Sigstore bundles, in-toto). */
export const SIGNATURE_ARTIFACT_TYPES: ReadonlySet<string> = new Set([
  'application/vnd.dev.cosign.artifact.sig.v1+json',
  'application/vnd.dev.cosign.artifact.att.v1+json',
  'application/vnd.cncf.notary.signature',
  'application/vnd.dev.sigstore.bundle.v0.3+json',
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
  'application/vnd.in-toto+json',
]);

const EMPTY_CONFIG = Buffer.from('{}');
const REPORT_DETAILS = (subject: string) => JSON.stringify({ state: `a scan report: follows its subject ${subject}` });
const SIGNATURE_DETAILS = (subject: string) => JSON.stringify({ state: `a signature or attestation: follows its subject ${subject}` });

type Head = Pick<ManifestRecord, 'subject' | 'artifactType' | 'configMediaType'>;

/** The subject a signature or attestation is of, from its own shape and tags (governance aside). */
export function signedSubjectOf(m: Head, tags: readonly string[]): Digest | undefined {
  const type = m.artifactType ?? m.configMediaType;
  if (m.subject && type && SIGNATURE_ARTIFACT_TYPES.has(type)) return m.subject;
  for (const t of tags) {
    const hex = COSIGN_TAG.exec(t)?.[1];
    if (hex) return `sha256:${hex}` as Digest;
  }
  return undefined;
}

async function governedByReleasePolicy(tx: StoreRoles, repository: string): Promise<boolean> {
  return governingOf(await tx.releasePolicies.list(), repository) !== undefined;
}

/** The subject whose verdict `digest`'s follows, for a signature or attestation where a release policy governs. */
export async function followedSubjectIn(tx: StoreRoles, repository: string, digest: Digest): Promise<Digest | undefined> {
  const m = await tx.manifests.getHead(repository, digest);
  if (!m) return undefined;
  const tags = m.subject ? [] : (await tx.tags.list(repository, { digest, n: 20 })).map((t) => t.name);
  // Recorded when it first followed: an old signature whose cosign tag has moved on.
  const subject = signedSubjectOf(m, tags) ?? (await tx.verdicts.followed(repository, [digest])).get(digest);
  if (!subject || subject === digest) return undefined;
  return (await governedByReleasePolicy(tx, repository)) ? subject : undefined;
}

/**
 * At push, in the push's transaction and before the lifecycle runs: a follower takes its
 * subject's current verdict (audited, actor the pusher). A subject without a verdict leaves it
 * to the push-time rule (held, as its subject is). Returns the subject followed, if any.
 */
export async function followAtPush(tx: StoreRoles, repository: string, pushed: { digest: Digest; manifest: ParsedManifest; tags: readonly string[] }, facts: RequestFacts): Promise<Digest | undefined> {
  const { digest, manifest: m } = pushed;
  // From what is in hand first: an ordinary image costs no query here.
  const shape = { ...(m.subject ? { subject: m.subject.digest } : {}), ...(m.artifactType ? { artifactType: m.artifactType } : {}), ...(m.config ? { configMediaType: m.config.mediaType } : {}) };
  if (!signedSubjectOf(shape, pushed.tags)) return undefined;
  const subject = await followedSubjectIn(tx, repository, digest);
  if (!subject) return undefined;
  await tx.verdicts.follow(repository, digest, subject);
  const followed = await tx.verdicts.get(repository, subject);
  const current = await tx.verdicts.get(repository, digest);
  if (followed && current?.state !== followed.state) {
    const { record, previous } = await tx.verdicts.set({ repository, digest, state: followed.state, details: SIGNATURE_DETAILS(subject), updatedBy: 'system' });
    await tx.audit.append({
      actor: facts.actor || 'system',
      action: 'verdict.change',
      target: `${repository}@${digest}`,
      before: previous ? { quarantineState: previous.state } : null,
      after: { quarantineState: record.state },
      details: `assigned at push: a signature or attestation follows its subject ${subject}`,
      requestId: facts.id,
    });
  }
  return subject;
}

interface Follower {
  digest: Digest;
  /** For the audit entry: what it is. */
  what: string;
  details: string;
  /** A signature or attestation (recorded as a follower); scan reports are linked by scan_artifacts. */
  signature: boolean;
}

/** The followers of each of `subjects` (one repository), read for all of them at once; a subject without any is absent. */
async function followersOfMany(tx: StoreRoles, repository: string, subjects: readonly Digest[]): Promise<Map<Digest, Follower[]>> {
  const out = new Map<Digest, Map<string, Follower>>();
  const add = (subject: Digest, f: Follower) => {
    let of = out.get(subject);
    if (!of) out.set(subject, (of = new Map()));
    if (!of.has(f.digest)) of.set(f.digest, f);
  };
  for (const [subject, artifacts] of await tx.scanJobs.artifactsOfMany(repository, subjects)) {
    for (const a of artifacts) add(subject as Digest, { digest: a.digest as Digest, what: `scan report ${a.artifactType}`, details: REPORT_DETAILS(subject), signature: false });
  }
  if (await governedByReleasePolicy(tx, repository)) {
    const referrers = await tx.manifests.referrersOfMany(repository, subjects);
    const tagName = (subject: Digest, suffix: string) => `${subject.replace(':', '-')}.${suffix}`;
    const tags = await tx.tags.getMany(repository, subjects.flatMap((s) => [tagName(s, 'sig'), tagName(s, 'att')]));
    const recorded = await tx.verdicts.followersOfMany(repository, subjects);
    for (const subject of subjects) {
      for (const r of referrers.get(subject) ?? []) {
        const type = r.artifactType ?? r.configMediaType;
        if (type && SIGNATURE_ARTIFACT_TYPES.has(type)) add(subject, { digest: r.digest, what: `signature or attestation ${type}`, details: SIGNATURE_DETAILS(subject), signature: true });
      }
      for (const suffix of ['sig', 'att']) {
        const tag = tags.get(tagName(subject, suffix));
        if (tag && tag.digest !== subject) add(subject, { digest: tag.digest, what: `cosign ${suffix === 'sig' ? 'signature' : 'attestation'} (tag ${tag.name})`, details: SIGNATURE_DETAILS(subject), signature: true });
      }
      // Signatures that followed before and are no longer found above (the cosign tag moved on).
      for (const digest of recorded.get(subject) ?? []) add(subject, { digest, what: 'an earlier signature or attestation (its cosign tag has moved on)', details: SIGNATURE_DETAILS(subject), signature: true });
    }
  }
  return new Map([...out].map(([subject, of]) => [subject, [...of.values()]]));
}

/**
 * Copies subjects' new verdicts to their followers, in the verdict change's transaction; a
 * follower released with it raises its deferred `push` events like any release. The followers
 * of every subject are read at once, after all the subjects' changes are stored.
 */
export async function followSubjectsIn(ctx: Ctx, tx: StoreRoles, repository: string, moved: readonly { subject: Digest; state: QuarantineState }[], request: RequestFacts): Promise<void> {
  const followers = await followersOfMany(tx, repository, moved.map((m) => m.subject));
  for (const { subject, state } of moved) {
    for (const f of followers.get(subject) ?? []) {
      // Found by its tag or subject field (pushed before a release policy governed the
      // repository, say): recorded now, so it keeps following after its tag moves.
      if (f.signature) await tx.verdicts.follow(repository, f.digest, subject);
      await takeVerdict(ctx, tx, repository, f, state, `${f.what} follows its subject ${subject}`, request);
    }
  }
}

/**
 * On a restore from the recycle bin, in the restore's transaction and after its tags are back: a
 * signature or attestation takes its subject's CURRENT verdict. While it was in the bin it was
 * no referrer and had no tag, so followSubjectsIn found nothing to copy a change to; restored
 * with its old verdict, a signature of an image released meanwhile would stay held (or one of
 * an image Failed meanwhile be served). Scan reports need nothing here: their link to the
 * subject (scan_artifacts) outlives the delete, so they were followed while binned. Returns the
 * subject followed, if any.
 */
export async function followAtRestore(ctx: Ctx, tx: StoreRoles, repository: string, digest: Digest, request: RequestFacts): Promise<Digest | undefined> {
  const subject = await followedSubjectIn(tx, repository, digest);
  if (!subject) return undefined;
  const followed = await tx.verdicts.get(repository, subject);
  if (followed) {
    await tx.verdicts.follow(repository, digest, subject);
    const f = { digest, what: 'a signature or attestation', details: SIGNATURE_DETAILS(subject), signature: true };
    await takeVerdict(ctx, tx, repository, f, followed.state, `restored from the recycle bin: a signature or attestation follows its subject ${subject}`, request);
  }
  return subject;
}

/** A follower takes `state` (audited as `system`); released, the lifecycle is told. */
async function takeVerdict(ctx: Ctx, tx: StoreRoles, repository: string, f: Follower, state: QuarantineState, why: string, request: RequestFacts): Promise<void> {
  const current = await tx.verdicts.get(repository, f.digest);
  if (current?.state === state) return;
  const { record, previous } = await tx.verdicts.set({ repository, digest: f.digest, state, details: f.details, updatedBy: 'system' });
  await tx.audit.append({
    actor: 'system',
    action: 'verdict.change',
    target: `${repository}@${f.digest}`,
    before: previous ? { quarantineState: previous.state } : null,
    after: { quarantineState: record.state },
    details: why,
    requestId: request.id,
  });
  const head = state === 'Passed' ? await tx.manifests.getHead(repository, f.digest) : undefined;
  if (head) await ctx.lifecycle.released(tx, [{ repository, digest: f.digest, mediaType: head.mediaType, size: head.size, request }]);
}

function requireVerdictWrite(ctx: Ctx, repository: string): void {
  if (!ctx.access.can(repository, 'quarantine_write')) {
    throw registryError('DENIED', `recording referrers whose verdict follows their subject needs quarantine write (AcrQuarantineWriter) on ${repository}`, { action: 'quarantine_write' });
  }
}

async function putBytes(ctx: Ctx, bytes: Buffer): Promise<Digest> {
  const digest = digestOf(bytes);
  await ctx.blobs.put(digest, Readable.from([bytes]), bytes.length);
  return digest;
}

/**
 * Writes the bytes of artifact manifests referring to `subject` (empty config, one layer with
 * the document, `subject`, the given annotations) to the blob store. Idempotent and invisible:
 * nothing links to them until recordReferrersIn, in the caller's transaction.
 */
export async function prepareReferrers(ctx: Ctx, subject: ManifestRecord, docs: ReferrerDocument[]): Promise<PreparedReferrer[]> {
  requireVerdictWrite(ctx, subject.repository);
  const configDigest = await putBytes(ctx, EMPTY_CONFIG);
  const out: PreparedReferrer[] = [];
  for (const doc of docs) {
    const layerDigest = await putBytes(ctx, doc.bytes);
    const manifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      artifactType: doc.artifactType,
      config: { mediaType: MEDIA_TYPES.ociEmpty, digest: configDigest, size: EMPTY_CONFIG.length },
      layers: [{ mediaType: doc.artifactType, digest: layerDigest, size: doc.bytes.length }],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      annotations: doc.annotations,
    };
    const bytes = Buffer.from(JSON.stringify(manifest));
    const digest = await putBytes(ctx, bytes);
    const input: ManifestInput = {
      digest,
      mediaType: MEDIA_TYPES.ociManifest,
      size: bytes.length,
      artifactType: doc.artifactType,
      subject: subject.digest,
      configDigest,
      configMediaType: MEDIA_TYPES.ociEmpty,
      imageSize: bytes.length + EMPTY_CONFIG.length + doc.bytes.length,
      blobs: [configDigest, layerDigest],
      children: [],
      annotations: doc.annotations,
    };
    out.push({ artifactType: doc.artifactType, input, blobs: [{ digest: configDigest, size: EMPTY_CONFIG.length }, { digest: layerDigest, size: doc.bytes.length }] });
  }
  return out;
}

/**
 * Records prepared referrers of `subject` in the caller's transaction, with the verdict that
 * follows the subject's (`state`: the subject's verdict after this transaction; undefined with
 * the policy off). Every digest is claimed against the garbage collector here, as every
 * reference-creating write claims it (src/lifecycle/gc/claims.ts). Raises no events (a
 * `quarantine` event would ask scanners to scan a report). Writes nothing, throwing, when the
 * subject is not in its repository (deleted meanwhile) or bytes were collected meanwhile.
 */
export async function recordReferrersIn(ctx: Ctx, vtx: VerdictTx, record: ReferrersRecord): Promise<void> {
  const { subject, referrers, state, jobId } = record;
  const repository = subject.repository;
  requireVerdictWrite(ctx, repository);
  // The caller's transaction is one of this store's (typed narrower by its module).
  const tx = vtx as StoreRoles;
  if (!(await tx.manifests.getHead(repository, subject.digest))) {
    throw registryError('MANIFEST_UNKNOWN', `the subject ${subject.digest} is not in repository ${repository}: no referrers recorded`, { digest: subject.digest });
  }
  const gone = await claimReferences(tx, ctx.blobs, referrers.flatMap((r) => [r.input.digest, ...r.blobs.map((b) => b.digest)]));
  if (gone.length > 0) {
    throw registryError('MANIFEST_BLOB_UNKNOWN', `referrer blobs were garbage-collected while they were recorded: ${gone.slice(0, 5).join(', ')}`, { digest: gone[0], missing: gone });
  }
  for (const r of referrers) {
    for (const b of r.blobs) await tx.blobs.link(repository, b.digest, b.size);
    await tx.manifests.put(repository, r.input);
    if (state) await tx.verdicts.set({ repository, digest: r.input.digest, state, details: REPORT_DETAILS(subject.digest), updatedBy: 'system' });
    await tx.scanJobs.addArtifact({ repository, digest: r.input.digest, subject: subject.digest, artifactType: r.artifactType, jobId });
  }
}
