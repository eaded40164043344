import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/load.ts';
import { checkStorage, type CheckStep } from './storage-check.ts';
import { createTestBucket } from '../../test/helpers/s3-server.ts';

test('storage check passes every step on a working bucket and leaves nothing behind', async () => {
  const bucket = await createTestBucket();
  try {
    const steps: CheckStep[] = [];
    const config = loadConfig({ env: {}, overrides: { dataDir: mkdtempSync(join(tmpdir(), 'lazaret-check-')), 'storage.driver': 's3', 'storage.s3': bucket.settings } });
    assert.equal(await checkStorage(config, (s) => steps.push(s)), true, JSON.stringify(steps));
    assert.deepEqual(steps.map((s) => s.step), ['reach', 'write', 'read', 'chunked upload', 'delete']);
    assert.deepEqual(await bucket.keys(), []);
    rmSync(config.dataDir, { recursive: true, force: true });
  } finally {
    await bucket.destroy();
  }
});

test('storage check stops at the first failing step and says why', async () => {
  const bucket = await createTestBucket();
  try {
    const steps: CheckStep[] = [];
    const config = loadConfig({ env: {}, overrides: { 'storage.driver': 's3', 'storage.s3': { ...bucket.settings, bucket: 'not-this-one' } } });
    assert.equal(await checkStorage(config, (s) => steps.push(s)), false);
    assert.equal(steps.length, 1);
    assert.equal(steps[0]!.ok, false);
    assert.match(steps[0]!.detail, /bucket not-this-one does not exist/);
  } finally {
    await bucket.destroy();
  }
});

test('config: storage.s3 from the environment; driver s3 without a bucket, half a key pair or a bad prefix are refused', () => {
  const c = loadConfig({
    env: {
      LAZARET_STORAGE_DRIVER: 's3',
      LAZARET_STORAGE_S3_BUCKET: 'my-bucket',
      LAZARET_STORAGE_S3_PREFIX: 'registry/',
      LAZARET_STORAGE_S3_ENDPOINT: 'http://127.0.0.1:9000',
      LAZARET_STORAGE_S3_FORCE_PATH_STYLE: 'true',
      LAZARET_STORAGE_S3_ACCESS_KEY_ID: 'id',
      LAZARET_STORAGE_S3_SECRET_ACCESS_KEY: 'secret',
      LAZARET_STORAGE_S3_REDIRECT: '1',
      LAZARET_STORAGE_S3_UPLOAD_LEASE_SECONDS: '5',
    },
  });
  assert.deepEqual(c.storage.s3, { bucket: 'my-bucket', prefix: 'registry/', region: 'us-east-1', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, accessKeyId: 'id', secretAccessKey: 'secret', redirect: true, redirectTtlSeconds: 300, uploadLeaseSeconds: 5 });
  assert.equal(loadConfig({ env: { LAZARET_STORAGE_DRIVER: 's3', LAZARET_STORAGE_S3_BUCKET: 'b-ok' } }).storage.s3?.uploadLeaseSeconds, 60, 'the default lease');
  assert.equal(loadConfig({ env: {} }).storage.driver, 'filesystem');
  const refused = (env: Record<string, string>, field: RegExp) =>
    assert.throws(() => loadConfig({ env }), (err: Error & { problems?: string[] }) => field.test((err.problems ?? []).join('\n')));
  refused({ LAZARET_STORAGE_DRIVER: 's3' }, /^storage\.s3\.bucket: /m);
  refused({ LAZARET_STORAGE_DRIVER: 's3', LAZARET_STORAGE_S3_BUCKET: 'b-ok', LAZARET_STORAGE_S3_UPLOAD_LEASE_SECONDS: '0' }, /^storage\.s3\.uploadLeaseSeconds: /m);
  refused({ LAZARET_STORAGE_DRIVER: 's3', LAZARET_STORAGE_S3_BUCKET: 'b-ok', LAZARET_STORAGE_S3_ACCESS_KEY_ID: 'id' }, /^storage\.s3: accessKeyId and secretAccessKey/m);
  refused({ LAZARET_STORAGE_DRIVER: 's3', LAZARET_STORAGE_S3_BUCKET: 'b-ok', LAZARET_STORAGE_S3_PREFIX: '../up' }, /^storage\.s3\.prefix: /m);
  refused({ LAZARET_STORAGE_DRIVER: 's3', LAZARET_STORAGE_S3_BUCKET: 'Bad_Bucket' }, /^storage\.s3\.bucket: /m);
  refused({ LAZARET_STORAGE_DRIVER: 'nfs' }, /^storage\.driver: /m);
});
