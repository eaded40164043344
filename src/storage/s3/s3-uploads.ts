/**
 * Upload sessions of the S3 driver (contract: UploadArea in ../blob-store.ts).
 *
 * An upload is an S3 multipart upload of `_uploads/<id>/data` plus a "tail" object holding the
 * bytes that do not yet fill a part (S3 refuses parts under 5 MiB except the last, and clients
 * send chunks of any size). Its state lives in the UploadStateStore (the metadata store's
 * database), so the next chunk may reach any node:
 *
 *   { bytes, mpu?, parts: [{ n, etag, size }], tail?: { key, size }, sha256?, writer? }
 *
 * - An append first CLAIMS the upload (compare-and-set of the state with a writer token and a
 *   lease). A second append at the same offset, here or on another node, finds the claim and is
 *   range-not-satisfiable, so two writers never upload the same part number. The lease is
 *   renewed before each part; a writer killed mid-chunk leaves a claim that expires after
 *   ctx.leaseMs (storage.s3.uploadLeaseSeconds), and the state still describes the bytes
 *   before that chunk: a renewal saves the multipart upload id but never the parts of the
 *   chunk in progress (the retry uploads them again under the same part numbers, which S3
 *   replaces; a saved part beside the old byte count would be assembled twice).
 * - The append reads the tail back (< part size), adds the chunk, uploads each full part and
 *   writes what is left as a NEW tail object (unique key: a stale writer can never overwrite the
 *   live tail). A part is uploaded while the next is received (writeParts). Memory per upload:
 *   at most two parts plus one incoming chunk.
 * - The running SHA-256 (../resumable-sha256.ts) is saved with the state after each chunk;
 *   commit compares it before assembling anything. Other algorithms (sha512) are verified by
 *   streaming the assembled object back.
 * - Commit completes the multipart upload into `data` (the tail as its last part), then copies
 *   it to the content-addressed key: the blob becomes visible atomically, verified, or not at
 *   all. A blob that never filled a part is copied from its tail object directly.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { createDigester, type Digest, type ParsedDigest } from '../../oci/index.ts';
import { storageErrors } from '../errors.ts';
import { newSha256, resumeSha256, type ResumableSha256 } from '../resumable-sha256.ts';
import type { BlobInfo, UploadArea } from '../blob-store.ts';
import { checkDigest, validUploadId, type S3Context } from './s3-context.ts';

/** CopyObject's limit; larger blobs are copied part by part (UploadPartCopy). */
const MAX_COPY_OBJECT = 5 * 1024 ** 3;
const COPY_PART = 512 * 1024 ** 2;

export interface S3UploadState {
  bytes: number;
  mpu?: string;
  parts: { n: number; etag: string; size: number }[];
  tail?: { key: string; size: number };
  /** Resumable SHA-256 state over all `bytes`; absent: verify by reading back. */
  sha256?: string;
  writer?: { token: string; until: number };
}

const serialise = (s: S3UploadState) => JSON.stringify(s);
const parse = (text: string) => JSON.parse(text) as S3UploadState;
const claimedByOther = (s: S3UploadState) => s.writer !== undefined && s.writer.until > Date.now();

/** Something that hashes chunks as they pass: resumable for sessions, node:crypto for a one-shot put. */
export interface ChunkHasher {
  update(chunk: Uint8Array): void;
  save?(): string;
}

export function createS3Uploads(ctx: S3Context): UploadArea & {
  /** A one-shot upload (BlobStore.put of a blob larger than a part): writes, verifies, commits. */
  putLarge(expected: Digest, chunks: AsyncIterable<Buffer>, expectedSize?: number): Promise<BlobInfo>;
} {
  const { client, bucket, states } = ctx;

  async function load(id: string) {
    if (!validUploadId(id)) throw storageErrors.uploadNotFound();
    const rec = await ctx.call(() => states.get(id));
    if (!rec) throw storageErrors.uploadNotFound();
    return { version: rec.version, state: parse(rec.state) };
  }

  /** Takes the upload for this writer; range-not-satisfiable when another one holds it. */
  async function claim(id: string, version: number, state: S3UploadState) {
    if (claimedByOther(state)) throw storageErrors.outOfOrder(state.bytes);
    const token = randomUUID();
    const claimed = { ...state, writer: { token, until: Date.now() + ctx.leaseMs } };
    if (!(await ctx.call(() => states.replace(id, version, serialise(claimed))))) throw storageErrors.outOfOrder(state.bytes);
    return { token, version: version + 1 };
  }

  /**
   * Streams `chunks` into parts of exactly `partSize` (after `pending`, bytes already held)
   * and returns what is left over (< partSize) without writing it.
   *
   * A part is uploaded while the next one is received: the request's bytes keep coming instead
   * of waiting for the S3 server's answer (a push of 64 MiB sat idle a third of its time waiting
   * for 8 MiB parts one after the other: bench/README.md "Pull and push on S3"). At most one
   * part is in flight; the next is cut only once it is done, so an upload holds at most two
   * parts (the one in flight, the one being received) plus one incoming chunk.
   */
  async function writeParts(id: string, state: S3UploadState, pending: Buffer[], chunks: AsyncIterable<Buffer> | Iterable<Buffer>, hasher: ChunkHasher, beforePart: () => Promise<void>) {
    let held = pending.reduce((n, b) => n + b.length, 0);
    let received = 0;
    let inFlight: Promise<void> | undefined;
    const settle = async () => {
      const part = inFlight;
      inFlight = undefined;
      await part;
    };
    try {
      for await (const raw of chunks) {
        const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
        hasher.update(chunk);
        received += chunk.length;
        pending.push(chunk);
        held += chunk.length;
        while (held >= ctx.partSize) {
          // The previous part done (and recorded) before this one is cut and numbered.
          await settle();
          const all = Buffer.concat(pending);
          const part = all.subarray(0, ctx.partSize);
          pending.length = 0;
          if (all.length > ctx.partSize) pending.push(all.subarray(ctx.partSize));
          held = all.length - ctx.partSize;
          if (!state.mpu) {
            const created = await ctx.call(() => client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: ctx.dataKey(id) })));
            state.mpu = created.UploadId!;
          }
          // Persists the state (with the multipart upload id, so an abort can always find it) and
          // renews the writer's claim before each part.
          await beforePart();
          const n = state.parts.length + 1;
          inFlight = ctx
            .call(() => client.send(new UploadPartCommand({ Bucket: bucket, Key: ctx.dataKey(id), UploadId: state.mpu, PartNumber: n, Body: part, ContentLength: part.length })))
            .then((out) => {
              state.parts.push({ n, etag: out.ETag!, size: part.length });
            });
          // Its failure is thrown by settle(); until then it must not count as unhandled.
          inFlight.catch(() => undefined);
        }
      }
      await settle();
    } catch (err) {
      // The caller cleans up (aborts the multipart upload) only once no part is still being sent.
      await inFlight?.catch(() => undefined);
      throw err;
    }
    return { received, rest: pending };
  }

  async function removeAll(id: string, state: S3UploadState) {
    if (state.mpu) await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: ctx.dataKey(id), UploadId: state.mpu })).catch(() => undefined);
    if (state.tail) await ctx.deleteQuietly(state.tail.key);
    await ctx.deleteQuietly(ctx.dataKey(id));
    await ctx.call(() => states.delete(id));
  }

  /** Copies a verified object to its content-addressed key (the moment it becomes visible). */
  async function publish(sourceKey: string, size: number, p: ParsedDigest) {
    const target = ctx.blobKey(p);
    const source = `${bucket}/${sourceKey.split('/').map(encodeURIComponent).join('/')}`;
    if (size <= MAX_COPY_OBJECT) {
      await ctx.call(() => client.send(new CopyObjectCommand({ Bucket: bucket, Key: target, CopySource: source })));
      return;
    }
    const created = await ctx.call(() => client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: target })));
    const parts: { PartNumber: number; ETag: string }[] = [];
    try {
      for (let start = 0, n = 1; start < size; start += COPY_PART, n++) {
        const end = Math.min(start + COPY_PART, size) - 1;
        const out = await ctx.call(() =>
          client.send(new UploadPartCopyCommand({ Bucket: bucket, Key: target, UploadId: created.UploadId, PartNumber: n, CopySource: source, CopySourceRange: `bytes=${start}-${end}` })),
        );
        parts.push({ PartNumber: n, ETag: out.CopyPartResult!.ETag! });
      }
      await ctx.call(() => client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: target, UploadId: created.UploadId, MultipartUpload: { Parts: parts } })));
    } catch (err) {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: target, UploadId: created.UploadId })).catch(() => undefined);
      throw err;
    }
  }

  async function hashObject(key: string, p: ParsedDigest): Promise<string> {
    const out = await ctx.call(() => client.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
    const hash = createDigester(p.algorithm);
    for await (const c of out.Body as Readable) hash.update(c as Buffer);
    return hash.digest('hex');
  }

  /**
   * Assembles a claimed upload's bytes, verifies them (unless `verifiedHex` already matched)
   * and publishes the blob. Removes every trace of the upload, on success and on mismatch.
   */
  async function finish(id: string, state: S3UploadState, p: ParsedDigest, verified: boolean): Promise<void> {
    try {
      if (!state.mpu) {
        // Never filled a part: the whole blob is the tail (or nothing).
        if (!state.tail) {
          if (!verified) {
            if (createDigester(p.algorithm).digest('hex') !== p.hex) throw storageErrors.digestMismatch();
          }
          await ctx.putBytes(ctx.blobKey(p), Buffer.alloc(0));
          return;
        }
        if (!verified && (await hashObject(state.tail.key, p)) !== p.hex) throw storageErrors.digestMismatch();
        await publish(state.tail.key, state.tail.size, p);
        return;
      }
      const parts = state.parts.map((x) => ({ PartNumber: x.n, ETag: x.etag }));
      if (state.tail) {
        const body = await ctx.getBytes(state.tail.key);
        const n = state.parts.length + 1;
        const out = await ctx.call(() => client.send(new UploadPartCommand({ Bucket: bucket, Key: ctx.dataKey(id), UploadId: state.mpu, PartNumber: n, Body: body, ContentLength: body.length })));
        parts.push({ PartNumber: n, ETag: out.ETag! });
      }
      await ctx.call(() => client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: ctx.dataKey(id), UploadId: state.mpu, MultipartUpload: { Parts: parts } })));
      state.mpu = undefined; // completed: nothing to abort any more
      if (!verified && (await hashObject(ctx.dataKey(id), p)) !== p.hex) throw storageErrors.digestMismatch();
      await publish(ctx.dataKey(id), state.bytes, p);
    } finally {
      await removeAll(id, state);
    }
  }

  return {
    async create(id) {
      if (!validUploadId(id)) throw storageErrors.invalidUploadId();
      const initial: S3UploadState = { bytes: 0, parts: [], sha256: (await newSha256()).save() };
      if (!(await ctx.call(() => states.create(id, serialise(initial))))) throw storageErrors.uploadExists();
    },

    async append(id, offset, data) {
      const loaded = await load(id);
      const before = loaded.state;
      if (before.bytes !== offset) throw storageErrors.outOfOrder(before.bytes);
      const claim_ = await claim(id, loaded.version, before);
      let version = claim_.version;
      const state: S3UploadState = { ...before, parts: [...before.parts], writer: undefined };
      const renew = async () => {
        // The state before this chunk (parts, tail, bytes, hash), plus the multipart upload id.
        const next: S3UploadState = { ...before, ...(state.mpu ? { mpu: state.mpu } : {}), writer: { token: claim_.token, until: Date.now() + ctx.leaseMs } };
        if (!(await ctx.call(() => states.replace(id, version, serialise(next))))) throw storageErrors.outOfOrder(before.bytes);
        version++;
      };
      let newTail: S3UploadState['tail'];
      let bytes = offset;
      try {
        const hasher: ResumableSha256 | undefined = before.sha256 ? await resumeSha256(before.sha256) : undefined;
        const pending = before.tail ? [await ctx.getBytes(before.tail.key)] : [];
        const { received, rest } = await writeParts(id, state, pending, data as AsyncIterable<Buffer>, hasher ?? { update() {} }, renew);
        if (rest.length > 0) {
          const body = Buffer.concat(rest);
          newTail = { key: ctx.tailKey(id, randomUUID()), size: body.length };
          await ctx.putBytes(newTail.key, body);
        }
        bytes = offset + received;
        const final: S3UploadState = { bytes, parts: state.parts, ...(state.mpu ? { mpu: state.mpu } : {}), ...(newTail ? { tail: newTail } : {}), ...(hasher ? { sha256: hasher.save() } : {}) };
        if (!(await ctx.call(() => states.replace(id, version, serialise(final))))) throw storageErrors.outOfOrder(before.bytes);
      } catch (err) {
        // The upload stays as it was before this chunk (keeping a multipart upload this attempt
        // created, so it is not orphaned): the client can resend the chunk.
        if (newTail) await ctx.deleteQuietly(newTail.key);
        const restored: S3UploadState = { ...before, ...(state.mpu ? { mpu: state.mpu } : {}), writer: undefined };
        await states.replace(id, version, serialise(restored)).catch(() => undefined);
        throw err;
      }
      if (before.tail) await ctx.deleteQuietly(before.tail.key);
      return bytes;
    },

    async size(id) {
      if (!validUploadId(id)) return undefined;
      const rec = await ctx.call(() => states.get(id));
      return rec ? parse(rec.state).bytes : undefined;
    },

    async commit(id, expected) {
      const p = checkDigest(expected);
      const loaded = await load(id);
      await claim(id, loaded.version, loaded.state);
      const { state } = loaded;
      let verified = false;
      if (p.algorithm === 'sha256' && state.sha256) {
        const hex = (await resumeSha256(state.sha256)).hex();
        if (hex !== p.hex) {
          await removeAll(id, state);
          throw storageErrors.digestMismatch();
        }
        verified = true;
      }
      await finish(id, state, p, verified);
      return { digest: expected, size: state.bytes };
    },

    async abort(id) {
      if (!validUploadId(id)) return;
      const rec = await ctx.call(() => states.get(id));
      if (rec) await removeAll(id, parse(rec.state));
    },

    async listStale(before) {
      return ctx.call(() => states.listStale(before));
    },

    async putLarge(expected, chunks, expectedSize) {
      const p = checkDigest(expected);
      const id = randomUUID();
      // A state row like any session's: a put killed midway is a stale upload the janitor removes.
      const state: S3UploadState = { bytes: 0, parts: [] };
      await ctx.call(() => states.create(id, serialise(state)));
      let version = 1;
      const persist = async () => {
        await ctx.call(() => states.replace(id, version, serialise(state)));
        version++;
      };
      const hash = createDigester(p.algorithm);
      try {
        const { received, rest } = await writeParts(id, state, [], chunks, hash, persist);
        state.bytes = received;
        if (rest.length > 0) {
          const body = Buffer.concat(rest);
          state.tail = { key: ctx.tailKey(id, randomUUID()), size: body.length };
          await ctx.putBytes(state.tail.key, body);
          await persist();
        }
        if (hash.digest('hex') !== p.hex) throw storageErrors.digestMismatch();
        if (expectedSize !== undefined && state.bytes !== expectedSize) throw storageErrors.sizeMismatch();
      } catch (err) {
        await removeAll(id, state);
        throw err;
      }
      await finish(id, state, p, true);
      return { digest: expected, size: state.bytes };
    },
  };
}
