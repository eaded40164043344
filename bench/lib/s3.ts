/**
 * `--storage s3` and `--nodes N`: one local S3-compatible server for every registry of the run,
 * each registry with its own bucket. By default s3rver, the one the tests use: it keeps objects
 * as files and is written in JavaScript, so it bounds push and pull throughput, and it lacks
 * ListMultipartUploads, so Distribution's s3 driver cannot run on it. `--s3-endpoint` names a
 * server already running instead (bench/ceph-rgw.sh starts Ceph's RADOS Gateway on loopback),
 * which both registries' S3 drivers can use.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort, spawnTracked, trackDir, waitForHttp } from './children.ts';
import type { BenchBucket } from './targets.ts';

const KEYS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface BenchS3 {
  endpoint: string;
  /** Whether Distribution's s3 driver can use it (it needs ListMultipartUploads). */
  servesDistribution: boolean;
  bucket(name: string): Promise<BenchBucket>;
}

/** The keys bench/ceph-rgw.sh gives its user. */
const EXTERNAL_KEYS = {
  accessKeyId: process.env.LAZARET_BENCH_S3_ACCESS_KEY_ID ?? 'lazaret-bench',
  secretAccessKey: process.env.LAZARET_BENCH_S3_SECRET_ACCESS_KEY ?? 'lazaret-bench-secret',
};

function buckets(endpoint: string, keys: typeof KEYS) {
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: keys });
  return async (name: string): Promise<BenchBucket> => {
    await client.send(new CreateBucketCommand({ Bucket: name }));
    return { endpoint, bucket: name, ...keys };
  };
}

/** An S3 server the bench did not start (--s3-endpoint): its buckets are left behind, named lazaret-bench-*. */
export async function externalS3(endpoint: string): Promise<BenchS3> {
  const res = await fetch(`${endpoint}/`).catch((err: Error) => {
    throw new Error(`--s3-endpoint ${endpoint} is not reachable (${err.message}); start it first (bench/ceph-rgw.sh start)`);
  });
  await res.body?.cancel();
  return { endpoint, servesDistribution: true, bucket: buckets(endpoint, EXTERNAL_KEYS) };
}

export async function startS3(repoRoot: string): Promise<BenchS3> {
  const dir = mkdtempSync(join(tmpdir(), 'lazaret-bench-s3-'));
  trackDir(dir);
  const port = await freePort();
  const child = spawnTracked(process.execPath, [join(repoRoot, 'node_modules/s3rver/bin/s3rver.js'), '--address', '127.0.0.1', '--port', String(port), '--directory', dir, '--silent'], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitForHttp(`${endpoint}/`, [200, 403], child);
  return { endpoint, servesDistribution: false, bucket: buckets(endpoint, KEYS) };
}
