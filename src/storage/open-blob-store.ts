/**
 * Opens the configured BlobStore driver (storage.driver): the filesystem under
 * <dataDir>/blobs, or an S3 bucket whose open uploads keep their state in the metadata store's
 * database (so any node can take the next chunk).
 *
 * The S3 driver is imported only when configured: the AWS SDK is the largest thing in the
 * build, and a registry on the filesystem never needs a byte of it (bench/README.md, memory).
 */
import { join } from 'node:path';
import type { LazaretConfig } from '../config/schema.ts';
import type { BlobStore } from './blob-store.ts';
import type { UploadStateStore } from './upload-states.ts';
import { createFsBlobStore } from './fs-blob-store.ts';
import type { S3BlobStore } from './s3/s3-blob-store.ts';
import type { S3Settings } from './s3/s3-client.ts';

export function s3SettingsOf(s3: NonNullable<LazaretConfig['storage']['s3']>): S3Settings {
  return {
    bucket: s3.bucket,
    prefix: s3.prefix,
    region: s3.region,
    forcePathStyle: s3.forcePathStyle,
    ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
    ...(s3.accessKeyId && s3.secretAccessKey ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } : {}),
  };
}

export async function openBlobStore(config: Pick<LazaretConfig, 'storage'>, dataDir: string, states: UploadStateStore): Promise<BlobStore | S3BlobStore> {
  const { storage } = config;
  if (storage.driver === 's3') {
    if (!storage.s3) throw new Error('storage.driver is s3 but storage.s3 is not configured');
    const { createS3BlobStore } = await import('./s3/s3-blob-store.ts');
    return createS3BlobStore({ ...s3SettingsOf(storage.s3), uploadLeaseSeconds: storage.s3.uploadLeaseSeconds, states });
  }
  return createFsBlobStore(join(dataDir, 'blobs'), { fsync: storage.fsync === 'off' ? false : storage.fsync });
}
