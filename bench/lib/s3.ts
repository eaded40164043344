/**
 * `--storage s3` and `--nodes N`: one local S3-compatible server (s3rver, the one the tests use)
 * for every registry of the run, each registry with its own bucket. s3rver keeps objects as
 * files and is written in JavaScript: it bounds push and pull throughput for both registries
 * alike, so the S3 columns compare the registries' S3 paths, not S3 itself.
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
  bucket(name: string): Promise<BenchBucket>;
}

export async function startS3(repoRoot: string): Promise<BenchS3> {
  const dir = mkdtempSync(join(tmpdir(), 'lazaret-bench-s3-'));
  trackDir(dir);
  const port = await freePort();
  const child = spawnTracked(process.execPath, [join(repoRoot, 'node_modules/s3rver/bin/s3rver.js'), '--address', '127.0.0.1', '--port', String(port), '--directory', dir, '--silent'], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitForHttp(`${endpoint}/`, [200, 403], child);
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: KEYS });
  return {
    endpoint,
    async bucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
      return { endpoint, bucket: name, ...KEYS };
    },
  };
}
