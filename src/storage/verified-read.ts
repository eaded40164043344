/**
 * What the registry checks before and while it sends a blob, so a blob damaged on disk (or in
 * a bucket) is never served as a complete, wrong response (docs/operations.md "Integrity"):
 *
 * 1. Every GET: the stored size equals the size recorded when the blob was linked. (A HEAD is
 *    answered from the metadata store alone, without touching the blob store.)
 * 2. A whole-blob GET of at most VERIFY_BEFORE_SENDING_BYTES (1 MiB: configs, manifests'
 *    neighbours, small layers): the bytes are read and hashed BEFORE the first byte is sent;
 *    a mismatch answers 500 and nothing of the blob leaves.
 * 3. A larger whole-blob GET streams through a running hash that holds back the last chunk:
 *    when the digest does not match at the end, the response is aborted before its last byte,
 *    so the client sees a short transfer (and retries), never a complete wrong blob.
 *    Once per stored version, where the store names versions (S3: the ETag and Last-Modified of
 *    the GetObject being served; BlobStore.openVersioned): a version this process verified in
 *    full is remembered (verified-memory.ts) and later GETs that read the same version are
 *    streamed without the hash. A replaced object reads as a new version and is hashed again;
 *    a mismatch forgets the digest. The filesystem names no versions: always hashed.
 * 4. Range requests (206) are served as stored after check 1: a part cannot be verified
 *    without reading the whole blob; clients verify the assembled blob against its digest.
 * Every mismatch is logged at error level with the digest: `lazaret verify` names it, and
 * `lazaret verify --repair` removes it so it can be pushed again.
 */
import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { parseDigest, type Digest } from '../oci/index.ts';

export const VERIFY_BEFORE_SENDING_BYTES = 1024 * 1024;

export class BlobIntegrityError extends Error {
  constructor(readonly digest: Digest, detail: string) {
    super(`blob ${digest} failed its integrity check: ${detail}`);
    this.name = 'BlobIntegrityError';
  }
}

/** Check 1: the size on the store against the size recorded in metadata. */
export function checkStoredSize(digest: Digest, stored: number, recorded: number): void {
  if (stored !== recorded) throw new BlobIntegrityError(digest, `stored size ${stored} differs from the recorded ${recorded}`);
}

function hasher(digest: Digest) {
  const parsed = parseDigest(digest);
  if (!parsed) throw new BlobIntegrityError(digest, 'unsupported digest');
  return { hash: createHash(parsed.algorithm), expected: parsed.hex };
}

/** Check 2: reads a small blob whole and verifies it; throws BlobIntegrityError on mismatch. */
export async function readVerified(digest: Digest, stream: Readable): Promise<Buffer> {
  const { hash, expected } = hasher(digest);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    chunks.push(chunk as Buffer);
  }
  if (hash.digest('hex') !== expected) throw new BlobIntegrityError(digest, 'content does not match its digest');
  return Buffer.concat(chunks);
}

/**
 * Check 3: passes bytes through, holding back the last chunk until the digest matched.
 * `onVerified` runs once every byte was hashed and matched, before the last chunk goes out.
 */
export function verifyingStream(digest: Digest, onMismatch: (err: BlobIntegrityError) => void, onVerified?: () => void): Transform {
  const { hash, expected } = hasher(digest);
  let held: Buffer | undefined;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      hash.update(chunk);
      const previous = held;
      held = chunk;
      done(null, previous);
    },
    flush(done: TransformCallback) {
      if (hash.digest('hex') !== expected) {
        const err = new BlobIntegrityError(digest, 'content does not match its digest');
        onMismatch(err);
        done(err);
        return;
      }
      onVerified?.();
      done(null, held);
    },
  });
}
