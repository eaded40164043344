/**
 * The S3 BlobStore driver (contract: ../blob-store.ts; uploads: s3-uploads.ts; keys:
 * s3-context.ts). Works on AWS S3 and S3-compatible servers: it relies only on the features
 * listed in docs/scale-out.md (PutObject, GetObject with Range, HeadObject, DeleteObject,
 * CopyObject, multipart uploads, HeadBucket; UploadPartCopy for blobs over 5 GiB; presigned
 * GET URLs for `redirect`).
 *
 * - `put` of a blob that fits in one part is read into memory (at most the part size), verified,
 *   and only then written to its content-addressed key: a wrong digest never reaches S3. A
 *   larger one goes through an upload session and is copied into place once verified.
 * - `open` streams GetObject's body, with the Range the caller already checked;
 *   `openVersioned` the whole body with the response's ETag and Last-Modified as its version
 *   (the registry verifies a version once per process: ../verified-memory.ts).
 * - `stat` is a HeadObject (~ a round trip): the HTTP layer answers HEAD from the metadata
 *   store's link and stats only when it must.
 */
import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createDigester, parseDigest, type Digest } from '../../oci/index.ts';
import { storageErrors } from '../errors.ts';
import type { BlobStore } from '../blob-store.ts';
import type { UploadStateStore } from '../upload-states.ts';
import { createS3Client, isMissing, toStorageError, type S3Settings } from './s3-client.ts';
import { GetObjectHandler, type GetObjectHandlerStats } from './get-object-handler.ts';
import { checkDigest, createS3Context } from './s3-context.ts';
import { createS3Uploads } from './s3-uploads.ts';

export interface S3BlobStoreOptions extends S3Settings {
  /** Where open uploads keep their state (the metadata store's blobUploadStates). */
  states: UploadStateStore;
  /** Bytes per multipart part (default 8 MiB, at least 5 MiB). */
  partSize?: number;
  /** How long a writer's claim on an open upload outlives its last renewal (default 60 s). */
  uploadLeaseSeconds?: number;
  /** An existing client (tests, `storage check`); otherwise one is made from the settings. */
  client?: S3Client;
}

export interface S3BlobStore extends BlobStore {
  /** A presigned GET URL for one committed blob, valid for `seconds`. */
  presignedUrl(digest: Digest, seconds: number): Promise<string>;
  readonly client: S3Client;
  /** How GetObject answers were read (metrics): undefined on a client without our reader. */
  getObjectReads(): GetObjectHandlerStats | undefined;
}

/** The `length` bytes of `source` from `start` on; the rest of `source` is discarded. */
function sliceStream(source: Readable, start: number, length: number): Readable {
  let skip = start;
  let left = length;
  const out = new PassThrough();
  source.on('data', (chunk: Buffer) => {
    if (left <= 0) return;
    let c = chunk;
    if (skip > 0) {
      const n = Math.min(skip, c.length);
      skip -= n;
      c = c.subarray(n);
    }
    if (c.length === 0) return;
    const piece = c.subarray(0, left);
    left -= piece.length;
    if (!out.write(piece)) source.pause();
    if (left <= 0) {
      out.end();
      source.destroy();
    }
  });
  out.on('drain', () => source.resume());
  source.on('end', () => out.end());
  source.on('error', (err) => out.destroy(err));
  out.on('close', () => source.destroy());
  return out;
}

export function createS3BlobStore(options: S3BlobStoreOptions): S3BlobStore {
  const client = options.client ?? createS3Client(options);
  const { bucket } = options;
  const ctx = createS3Context({ client, bucket, states: options.states, ...(options.prefix !== undefined ? { prefix: options.prefix } : {}), ...(options.partSize ? { partSize: options.partSize } : {}), ...(options.uploadLeaseSeconds ? { leaseMs: options.uploadLeaseSeconds * 1000 } : {}) });
  const uploads = createS3Uploads(ctx);

  async function stat(digest: Digest) {
    const key = ctx.blobKey(checkDigest(digest));
    try {
      const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return { digest, size: out.ContentLength ?? 0 };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw toStorageError(err, bucket);
    }
  }

  return {
    client,
    stat,
    getObjectReads: () => {
      const handler: unknown = client.config.requestHandler;
      return handler instanceof GetObjectHandler ? handler.stats : undefined;
    },

    async open(digest, range) {
      const key = ctx.blobKey(checkDigest(digest));
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }));
        const body = out.Body as Readable;
        if (!range) return body;
        // A server may answer a Range with more than was asked: HTTP lets it ignore Range (no
        // Content-Range), and s3rver widens bytes=0-0 to the whole object. Cut the asked bytes
        // out of what came rather than send the client wrong ones.
        const sent = /^bytes (\d+)-(\d+)\//.exec(out.ContentRange ?? '');
        const sentStart = sent ? Number(sent[1]) : 0;
        const sentEnd = sent ? Number(sent[2]) : Number.POSITIVE_INFINITY;
        if (sentStart === range.start && sentEnd === range.end) return body;
        if (sentStart > range.start || sentEnd < range.end) {
          body.destroy();
          throw storageErrors.unavailable(`the S3 server answered range ${range.start}-${range.end} with ${out.ContentRange ?? 'the whole object'}`);
        }
        return sliceStream(body, range.start - sentStart, range.end - range.start + 1);
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw toStorageError(err, bucket);
      }
    },

    async openVersioned(digest) {
      const key = ctx.blobKey(checkDigest(digest));
      try {
        // `Range: bytes=0-` (as Distribution's s3 driver asks) rather than a plain GET: Ceph's
        // gateway streamed it faster in one run (206 against 157 MB/s) and as fast in another
        // (bench/README.md "Pull and push on S3"); never slower.
        // An empty object has no byte 0 (416): it is read whole.
        const get = (Range?: string) => client.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(Range ? { Range } : {}) }));
        const out = await get('bytes=0-').catch((err: Error) => (err?.name === 'InvalidRange' ? get() : Promise.reject(err)));
        const stream = out.Body as Readable;
        const sent = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(out.ContentRange ?? '');
        if (sent && (Number(sent[1]) !== 0 || Number(sent[2]) + 1 !== Number(sent[3]))) {
          stream.destroy();
          throw storageErrors.unavailable(`the S3 server answered range 0- with ${out.ContentRange}`);
        }
        // ETag alone could be forged by a replacement crafted to collide on MD5 (an ETag is one
        // for single-part writes); Last-Modified is set by the server at each write, so the
        // pair names one write.
        const version = out.ETag && out.LastModified ? `${out.ETag} ${out.LastModified.getTime()}` : undefined;
        return { stream, size: out.ContentLength ?? 0, ...(version ? { version } : {}) };
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw toStorageError(err, bucket);
      }
    },

    async put(expected, data, expectedSize) {
      const p = checkDigest(expected);
      const iterator = (data as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
      const head: Buffer[] = [];
      let held = 0;
      let done = false;
      while (held <= ctx.partSize) {
        const r = await iterator.next();
        if (r.done) {
          done = true;
          break;
        }
        const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
        head.push(chunk);
        held += chunk.length;
      }
      if (!done) {
        const chunks = (async function* () {
          yield* head;
          for (let r = await iterator.next(); !r.done; r = await iterator.next()) yield typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
        })();
        return uploads.putLarge(expected, chunks, expectedSize);
      }
      const body = Buffer.concat(head);
      if (createDigester(p.algorithm).update(body).digest('hex') !== p.hex) throw storageErrors.digestMismatch();
      if (expectedSize !== undefined && body.length !== expectedSize) throw storageErrors.sizeMismatch();
      // Rewriting an existing blob writes the same verified bytes: harmless, and cheaper than
      // asking first on the common path (a new blob).
      await ctx.call(() =>
        client.send(new PutObjectCommand({ Bucket: bucket, Key: ctx.blobKey(p), Body: body, ContentLength: body.length, ContentMD5: createHash('md5').update(body).digest('base64') })),
      );
      return { digest: expected, size: body.length };
    },

    async delete(digest) {
      const key = ctx.blobKey(checkDigest(digest));
      // S3's DELETE succeeds whether or not the key existed: ask first to answer honestly.
      if (!(await stat(digest))) return false;
      await ctx.call(() => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
      return true;
    },

    async *list() {
      // ListObjectsV2 pages of up to 1000 keys: memory stays at one page. Only keys of the
      // committed layout whose name forms a valid digest are blobs.
      const root = ctx.blobRoot;
      let token: string | undefined;
      do {
        const page = await ctx.call(() => client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: root, ...(token ? { ContinuationToken: token } : {}) })));
        for (const o of page.Contents ?? []) {
          const m = /^(sha256|sha512)\/([0-9a-f]{2})\/([0-9a-f]+)$/.exec((o.Key ?? '').slice(root.length));
          if (!m || !m[3]!.startsWith(m[2]!)) continue;
          const digest = `${m[1]}:${m[3]}` as Digest;
          if (!parseDigest(digest)) continue;
          yield { digest, size: o.Size ?? 0, modifiedAt: o.LastModified ?? new Date(0) };
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },

    async probe() {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }));
      } catch (err) {
        // HEAD has no error body: a 404 here is the bucket itself missing.
        if (isMissing(err)) throw storageErrors.unavailable(`bucket ${bucket} does not exist`, err);
        throw toStorageError(err, bucket);
      }
    },

    async presignedUrl(digest, seconds) {
      const key = ctx.blobKey(checkDigest(digest));
      return getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: seconds });
    },

    uploads,
  };
}
