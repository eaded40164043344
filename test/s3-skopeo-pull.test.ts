/**
 * skopeo pushes an image to one Lazaret on S3 (s3rver) and pulls it twice: every pulled blob is
 * byte for byte the pushed one. The second pull's large layers are served from versions the
 * first pull verified, without the hash (src/storage/verified-read.ts), through the GetObject
 * reader (src/storage/s3/get-object-handler.ts): what this checks is that the reader's bytes are
 * right when nothing downstream would notice otherwise (skopeo checks digests too, and fails).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { createTestBucket, type TestBucket } from './helpers/s3-server.ts';
import { createOciLayout, listLayoutBlobs, readLayoutBlob } from './helpers/oci-layout.ts';
import { skopeoIn } from './helpers/skopeo.ts';
import { hasCommand, skipUnless } from './helpers/environment.ts';
import { parse, value } from './helpers/prometheus.ts';

const MiB = 1024 * 1024;

describe('skopeo on S3: a pulled image is byte for byte the pushed one, hashed or remembered', { skip: skipUnless(hasCommand('skopeo'), 'skopeo is not installed') }, () => {
  let bucket: TestBucket;
  let server: TestServer;
  let work: string;
  const skopeo = skopeoIn(() => work);
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'lazaret-s3-skopeo-'));
    bucket = await createTestBucket();
    server = await startTestServer({ 'auth.mode': 'none', 'metrics.listen': '127.0.0.1:0', 'storage.driver': 's3', 'storage.s3': bucket.settings });
  });
  after(async () => {
    await server?.close();
    await bucket?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  test('push, pull, pull again: every blob equal; the second pull remembered its large layers', async () => {
    const layout = await createOciLayout(join(work, 'src'));
    // Below 1 MiB (verified before sending), above it, and over one 8 MiB S3 part.
    const image = await layout.addImage({ layerSizes: [200_000, 3 * MiB, 12 * MiB] });
    await layout.writeIndex({ v1: image.manifest });
    const host = new URL(server.url).host;
    await skopeo('copy', '--dest-tls-verify=false', `oci:${layout.dir}:v1`, `docker://${host}/s3/app:v1`);
    const source = await listLayoutBlobs(layout.dir);
    const counts = async () => {
      const scrape = parse((await server.services.metrics!.render()).body);
      return { hashed: value(scrape, 'lazaret_blob_verifications_total', { result: 'hashed' }), remembered: value(scrape, 'lazaret_blob_verifications_total', { result: 'remembered' }) };
    };
    const large = image.layers.filter((l) => l.size > MiB).length;
    for (const round of [1, 2]) {
      const pulled = join(work, `pulled-${round}`);
      await skopeo('copy', '--src-tls-verify=false', `docker://${host}/s3/app:v1`, `oci:${pulled}:v1`);
      assert.deepEqual(await listLayoutBlobs(pulled), source, `pull ${round}: the same blobs`);
      for (const digest of source) {
        assert.ok((await readLayoutBlob(pulled, digest)).equals(await readLayoutBlob(layout.dir, digest)), `pull ${round}: ${digest} byte for byte`);
      }
    }
    const { hashed, remembered } = await counts();
    assert.ok(hashed >= large, `the first pull hashed the large layers (${hashed})`);
    assert.ok(remembered >= large, `the second pull served them remembered (${remembered})`);
  });
});
