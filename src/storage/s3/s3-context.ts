/**
 * What the S3 driver's halves (s3-blob-store.ts, s3-uploads.ts) share: the client, the key
 * layout and small helpers around the SDK calls.
 *
 * Key layout under the prefix (also in docs/storage.md):
 *   <prefix>blobs/<alg>/<hex[0:2]>/<hex>      committed blobs, content-addressed
 *   <prefix>_uploads/<uuid>/tail-<uuid>       an upload's bytes not yet in a part (< part size)
 *   <prefix>_uploads/<uuid>/data              the multipart object an upload completes into
 * Digests (src/oci/digest.ts) and upload ids (UUIDs) are validated before they become keys.
 */
import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { parseDigest, type ParsedDigest } from '../../oci/index.ts';
import { storageErrors } from '../errors.ts';
import type { UploadStateStore } from '../upload-states.ts';
import { isMissing, toStorageError } from './s3-client.ts';

export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PREFIX_RE = /^([A-Za-z0-9._-]+\/)*$/;

export interface S3Context {
  client: S3Client;
  bucket: string;
  states: UploadStateStore;
  partSize: number;
  /** How long an upload's writer claim outlives its last renewal (storage.s3.uploadLeaseSeconds). */
  leaseMs: number;
  blobKey(p: ParsedDigest): string;
  /** The key prefix every committed blob's key starts with (`<prefix>blobs/`). */
  blobRoot: string;
  tailKey(uploadId: string, token: string): string;
  dataKey(uploadId: string): string;
  /** Runs one SDK call, translating failures (missing keys excepted: `missing` decides). */
  call<T>(fn: () => Promise<T>): Promise<T>;
  getBytes(key: string): Promise<Buffer>;
  putBytes(key: string, body: Buffer): Promise<void>;
  deleteQuietly(key: string): Promise<void>;
}

export const validUploadId = (id: string) => typeof id === 'string' && UUID_RE.test(id);

export function checkDigest(digest: string): ParsedDigest {
  const parsed = parseDigest(digest);
  if (!parsed) throw storageErrors.invalidDigest();
  return parsed;
}

/** `prefix` as stored: '' or segments of [A-Za-z0-9._-] each ending in '/'; anything else throws. */
export function normalisePrefix(prefix: string | undefined): string {
  let p = (prefix ?? '').replace(/^\/+/, '');
  if (p !== '' && !p.endsWith('/')) p += '/';
  if (!PREFIX_RE.test(p) || p.split('/').some((s) => s === '.' || s === '..')) {
    throw new Error(`storage.s3.prefix ${JSON.stringify(prefix)} must be path segments of letters, digits, '.', '_' or '-'`);
  }
  return p;
}

export const DEFAULT_LEASE_MS = 60_000;

export function createS3Context(options: { client: S3Client; bucket: string; prefix?: string; states: UploadStateStore; partSize?: number; leaseMs?: number }): S3Context {
  const { client, bucket, states } = options;
  const prefix = normalisePrefix(options.prefix);
  const partSize = options.partSize ?? DEFAULT_PART_SIZE;
  if (partSize < MIN_PART_SIZE) throw new Error(`the S3 part size must be at least ${MIN_PART_SIZE} bytes`);
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (isMissing(err)) throw err;
      throw toStorageError(err, bucket);
    }
  };
  return {
    client,
    bucket,
    states,
    partSize,
    leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
    blobKey: (p) => `${prefix}blobs/${p.algorithm}/${p.hex.slice(0, 2)}/${p.hex}`,
    blobRoot: `${prefix}blobs/`,
    tailKey: (id, token) => `${prefix}_uploads/${id}/tail-${token}`,
    dataKey: (id) => `${prefix}_uploads/${id}/data`,
    call,
    async getBytes(key) {
      const out = await call(() => client.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
      const chunks: Buffer[] = [];
      for await (const c of out.Body as Readable) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    },
    async putBytes(key, body) {
      await call(() => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.length })));
    },
    async deleteQuietly(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
    },
  };
}
