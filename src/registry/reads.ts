/** Reads of content (/v2): manifests, blobs, mount sources, referrers. Rules: registry.ts. */
import { Readable, pipeline } from 'node:stream';
import { BlobIntegrityError, VERIFY_BEFORE_SENDING_BYTES, checkStoredSize, readVerified, verifyingStream } from '../storage/verified-read.ts';
import type { Digest } from '../oci/index.ts';
import type { ManifestHead, TagRecord } from '../metadata/metadata-store.ts';
import { registryError } from '../errors/index.ts';
import type { BlobRead, ManifestRead, ManifestRecord, ManifestReference, ReadMethod } from './registry.ts';
import { hiddenTag, missing, type BlobVerification, type Ctx } from './context.ts';
import { requireAttribute } from './attributes.ts';
import type { S3BlobStore } from '../storage/s3/s3-blob-store.ts';

export async function readManifest(ctx: Ctx, name: string, ref: ManifestReference, method: ReadMethod): Promise<ManifestRead> {
  const { store } = ctx;
  let tag: TagRecord | undefined;
  if (ref.kind === 'tag') {
    tag = await store.tags.get(name, ref.tag);
    if (!tag) throw missing.v2Tag(name, ref.tag);
  }
  const digest = tag ? tag.digest : (ref as { digest: Digest }).digest;
  const record = await store.manifests.getHead(name, digest);
  if (!record) throw ref.kind === 'tag' ? missing.v2Tag(name, ref.tag) : registryError('MANIFEST_UNKNOWN', undefined, { digest });
  try {
    await ctx.gate.checkManifestRead(ctx.access, record, ref.kind, method);
  } catch (err) {
    if (ref.kind === 'tag') throw hiddenTag(ctx, name, err, (headers) => missing.v2Tag(name, ref.tag, headers));
    throw err;
  }
  requireAttribute('readEnabled', [
    [`repository ${name}`, await store.repositories.get(name)],
    [`manifest ${digest}`, record],
    ...(tag ? ([[`tag ${tag.name}`, tag]] as [string, TagRecord][]) : []),
  ]);
  if (method === 'HEAD') return { record };
  const body = await manifestBody(ctx, record);
  // A served GET is a pull (a HEAD only asks): retention keeps what was pulled recently.
  ctx.pullTimes?.pulled(name, digest);
  return { record, body };
}

/** The stored bytes (from the cache of verified manifest bytes when hot). */
async function manifestBody(ctx: Ctx, record: ManifestHead) {
  const { cache } = ctx;
  const cached = cache.get(record.digest);
  if (cached) return cached;
  const stream = await ctx.blobs.open(record.digest);
  if (!stream) {
    ctx.logger.error({ repository: record.repository, digest: record.digest }, 'manifest recorded in metadata but missing from the blob store');
    throw registryError('MANIFEST_UNKNOWN', undefined, { digest: record.digest });
  }
  if (!cache.accepts(record.size)) return stream;
  const bytes = await cache.fill(record.digest, record.size, stream);
  if (!bytes) {
    ctx.logger.error({ repository: record.repository, digest: record.digest }, 'manifest bytes in the blob store do not match their digest or size');
    throw registryError('MANIFEST_UNKNOWN', undefined, { digest: record.digest });
  }
  return bytes;
}

export async function readBlob(ctx: Ctx, name: string, digest: Digest, method: ReadMethod): Promise<BlobRead> {
  const { store, blobs } = ctx;
  const link = await store.blobs.get(name, digest);
  if (!link) throw registryError('BLOB_UNKNOWN', undefined, { digest });
  await ctx.gate.checkBlobRead(ctx.access, name, digest, method);
  requireAttribute('readEnabled', [[`repository ${name}`, await store.repositories.get(name)]]);
  // A HEAD is answered from the metadata store (the link's size): on S3 a stat is a round trip
  // (~ms locally, ~100 ms on AWS), and clients HEAD every layer before pushing or pulling it.
  // Bytes lost from the store are a GET's finding (below) and `lazaret verify`'s.
  if (method === 'HEAD') return { size: link.size, open: () => Promise.reject(new Error('a HEAD has no body')) };
  const info = await blobs.stat(digest);
  if (!info) throw await missingBytes(ctx, name, digest);
  // What is checked before and while sending: src/storage/verified-read.ts.
  const corrupt = (err: BlobIntegrityError) => {
    ctx.logger.error({ repository: name, digest, err: err.message }, 'blob failed its integrity check; run `lazaret verify --repair`');
    return registryError('INTERNAL', 'the stored blob failed its integrity check');
  };
  try {
    checkStoredSize(digest, info.size, link.size);
  } catch (err) {
    throw corrupt(err as BlobIntegrityError);
  }
  return {
    size: info.size,
    async open(span) {
      if (!span && info.size > VERIFY_BEFORE_SENDING_BYTES && blobs.openVersioned) return openLarge(ctx, digest, link.size, corrupt);
      const stream = await blobs.open(digest, span);
      if (!stream) throw registryError('BLOB_UNKNOWN', undefined, { digest });
      if (span) return stream; // a part cannot be verified without the whole; the size was checked
      if (info.size <= VERIFY_BEFORE_SENDING_BYTES) {
        try {
          return Readable.from([await readVerified(digest, stream)]);
        } catch (err) {
          if (err instanceof BlobIntegrityError) throw corrupt(err);
          throw err;
        }
      }
      // pipeline: an error on either side destroys both (and the response, mid-transfer).
      const count = (result: BlobVerification) => ctx.metrics?.blobVerifications.inc({ result });
      const check = verifyingStream(digest, (err) => (count('mismatch'), corrupt(err)), () => count('hashed'));
      return pipeline(stream, check, () => undefined);
    },
    // Only handed out here, after the gate and the attributes allowed this caller to read this
    // blob: the URL names one blob and expires, so it grants nothing else.
    ...('presignedUrl' in blobs ? { presignedUrl: (seconds: number) => (blobs as S3BlobStore).presignedUrl(digest, seconds) } : {}),
  };
}

/**
 * Check 3 on a store that names versions (src/storage/verified-read.ts): a version this process
 * verified in full streams as stored; any other is hashed on the way and remembered when it
 * matched. The size is checked again against this read's own answer, since the object may have
 * been replaced after the stat.
 */
async function openLarge(ctx: Ctx, digest: Digest, recorded: number, corrupt: (err: BlobIntegrityError) => unknown) {
  const read = await ctx.blobs.openVersioned!(digest);
  if (!read) throw registryError('BLOB_UNKNOWN', undefined, { digest });
  const { stream, size, version } = read;
  try {
    checkStoredSize(digest, size, recorded);
  } catch (err) {
    stream.destroy();
    throw corrupt(err as BlobIntegrityError);
  }
  if (version !== undefined && ctx.verified.has(digest, size, version)) {
    ctx.metrics?.blobVerifications.inc({ result: 'remembered' });
    return stream;
  }
  const check = verifyingStream(
    digest,
    (err) => {
      ctx.verified.forget(digest);
      ctx.metrics?.blobVerifications.inc({ result: 'mismatch' });
      corrupt(err);
    },
    () => {
      if (version !== undefined) ctx.verified.remember(digest, size, version);
      ctx.metrics?.blobVerifications.inc({ result: 'hashed' });
    },
  );
  return pipeline(stream, check, () => undefined);
}

/**
 * A GET found a linked blob's bytes absent. Which of three things happened decides the answer:
 * the store is down or its bucket gone (a HEAD of a key in a deleted bucket is a bare 404, so
 * ask the store: 503 UNAVAILABLE), the link went away meanwhile (garbage collection or a
 * delete: 404 BLOB_UNKNOWN, as if the GET came a moment later), or the bytes are lost while
 * still linked (500 with a message saying so, logged for the operator: `lazaret verify`).
 */
async function missingBytes(ctx: Ctx, name: string, digest: Digest) {
  await ctx.blobs.probe();
  if (!(await ctx.store.blobs.get(name, digest))) return registryError('BLOB_UNKNOWN', undefined, { digest });
  ctx.logger.error({ repository: name, digest }, 'blob linked in metadata but missing from the blob store; run `lazaret verify`');
  return registryError('INTERNAL', 'the blob is recorded but its bytes are missing from storage');
}

export async function mountSource(ctx: Ctx, from: string, digest: Digest): Promise<number | undefined> {
  const { store } = ctx;
  if (!ctx.access.can(from, 'pull')) return undefined;
  const link = await store.blobs.get(from, digest);
  if (!link || !(await ctx.blobs.stat(digest))) return undefined;
  if (!(await ctx.gate.canMount(ctx.access, from, digest))) return undefined;
  const source = await store.repositories.get(from);
  if (source && source.readEnabled === false) return undefined;
  return link.size;
}

export async function checkUploadTarget(ctx: Ctx, name: string): Promise<void> {
  requireAttribute('writeEnabled', [[`repository ${name}`, await ctx.store.repositories.get(name)]]);
}

export async function listReferrers(ctx: Ctx, name: string, subject: Digest): Promise<ManifestRecord[]> {
  return ctx.gate.visibleManifests(ctx.access, name, await ctx.store.manifests.referrers(name, subject));
}
