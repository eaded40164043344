/**
 * An S3-compatible server for tests: the one `.ci/run` started (LAZARET_TEST_S3_ENDPOINT, with
 * s3rver's default keys unless LAZARET_TEST_S3_ACCESS_KEY_ID/SECRET are set), else an s3rver
 * of our own on a free port with its files in a temp directory. Each caller gets a fresh bucket.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, ListMultipartUploadsCommand, AbortMultipartUploadCommand, type S3Client } from '@aws-sdk/client-s3';
// s3rver ships no types; its constructor and run/close are all we use.
// @ts-expect-error no declaration file
import S3rver from 's3rver';
import { createS3Client, type S3Settings } from '../../src/storage/s3/s3-client.ts';

export interface TestBucket {
  settings: S3Settings & { endpoint: string; accessKeyId: string; secretAccessKey: string };
  client: S3Client;
  /** Every key in the bucket. */
  keys(): Promise<string[]>;
  /** Open multipart uploads (key and id); empty where the server cannot list them (s3rver). */
  multipartUploads(): Promise<{ key: string; id: string }[]>;
  destroy(): Promise<void>;
}

interface Running {
  endpoint: string;
  stop(): Promise<void>;
}

let shared: Promise<Running> | undefined;

/** One server per test process (started on first use, stopped when the process exits). */
function server(): Promise<Running> {
  const external = process.env.LAZARET_TEST_S3_ENDPOINT;
  if (external) return Promise.resolve({ endpoint: external, stop: async () => undefined });
  shared ??= (async () => {
    const directory = mkdtempSync(join(tmpdir(), 'lazaret-s3rver-'));
    const s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
    const address = (await s3.run()) as { port: number };
    const stop = async () => {
      await s3.close().catch(() => undefined);
      rmSync(directory, { recursive: true, force: true });
    };
    process.once('beforeExit', () => void stop());
    // A keep-alive socket from the SDK must not keep the test process alive.
    s3.httpServer?.unref?.();
    return { endpoint: `http://127.0.0.1:${address.port}`, stop };
  })();
  return shared;
}

export async function createTestBucket(): Promise<TestBucket> {
  const { endpoint } = await server();
  const settings = {
    endpoint,
    bucket: `lazaret-test-${randomBytes(6).toString('hex')}`,
    region: 'us-east-1',
    forcePathStyle: true,
    accessKeyId: process.env.LAZARET_TEST_S3_ACCESS_KEY_ID ?? 'S3RVER',
    secretAccessKey: process.env.LAZARET_TEST_S3_SECRET_ACCESS_KEY ?? 'S3RVER',
  };
  const client = createS3Client(settings);
  await client.send(new CreateBucketCommand({ Bucket: settings.bucket }));
  const keys = async () => {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: settings.bucket, ...(token ? { ContinuationToken: token } : {}) }));
      for (const o of page.Contents ?? []) out.push(o.Key!);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out.sort();
  };
  const multipartUploads = async () => {
    try {
      const page = await client.send(new ListMultipartUploadsCommand({ Bucket: settings.bucket }));
      return (page.Uploads ?? []).map((u) => ({ key: u.Key!, id: u.UploadId! }));
    } catch (err) {
      // s3rver does not list multipart uploads; real servers (and MinIO) do.
      if ((err as Error).name === 'NotImplemented') return [];
      throw err;
    }
  };
  return {
    settings,
    client,
    keys,
    multipartUploads,
    async destroy() {
      for (const u of await multipartUploads().catch(() => [])) {
        await client.send(new AbortMultipartUploadCommand({ Bucket: settings.bucket, Key: u.key, UploadId: u.id })).catch(() => undefined);
      }
      const all = await keys();
      for (let i = 0; i < all.length; i += 1000) {
        await client.send(new DeleteObjectsCommand({ Bucket: settings.bucket, Delete: { Objects: all.slice(i, i + 1000).map((Key) => ({ Key })) } }));
      }
      await client.send(new DeleteBucketCommand({ Bucket: settings.bucket })).catch(() => undefined);
      client.destroy();
    },
  };
}
