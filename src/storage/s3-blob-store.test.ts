/**
 * The S3 driver against a real S3-compatible server (s3rver; test/helpers/s3-server.ts): the
 * conformance suite, plus what only S3 has (multipart parts, the key layout, presigned URLs).
 */
import { runBlobStoreSuite } from './blob-store-suite.ts';
import { createS3BlobStore } from './s3/s3-blob-store.ts';
import { MIN_PART_SIZE } from './s3/s3-context.ts';
import { createMemoryUploadStates } from './upload-states.ts';
import { createTestBucket } from '../../test/helpers/s3-server.ts';

const COMMITTED = /^suite\/blobs\/(sha256\/([0-9a-f]{2})\/\2[0-9a-f]{62}|sha512\/([0-9a-f]{2})\/\3[0-9a-f]{126})$/;

runBlobStoreSuite({
  name: 'S3 (s3rver)',
  async create() {
    const bucket = await createTestBucket();
    // The smallest part S3 allows, so multi-MiB tests exercise several parts.
    const states = createMemoryUploadStates();
    const open = () => createS3BlobStore({ ...bucket.settings, prefix: 'suite', states, partSize: MIN_PART_SIZE });
    return {
      store: open(),
      reopen: open,
      async strayEntries() {
        const openIds = new Set(await states.listStale(new Date(Date.now() + 3_600_000)));
        const stray = (await bucket.keys()).filter((k) => !COMMITTED.test(k) && !openIds.has(k.split('/')[2] ?? ''));
        const mpus = (await bucket.multipartUploads()).filter((u) => !openIds.has(u.key.split('/')[2] ?? '')).map((u) => `multipart ${u.key}`);
        return [...stray, ...mpus];
      },
      destroy: () => bucket.destroy(),
    };
  },
});
