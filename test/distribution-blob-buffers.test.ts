/**
 * Blob pulls read into reused buffers (src/storage/read-buffers.ts): over real HTTP, with
 * concurrent, slow and aborted readers, every byte of every pull is the blob's, and the
 * buffers did go round (the server runs in this process, so its pool's counters are visible).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { get, type IncomingMessage } from 'node:http';
import { digestOf, useRegistryServer } from './helpers/registry-client.ts';
import { readBuffers } from '../src/storage/read-buffers.ts';

const fixture = useRegistryServer();
const blob = randomBytes(6 * 1024 * 1024 + 321);
const digest = digestOf(blob);

function pull(path: string, options: { slow?: boolean; abortAfter?: number; range?: string } = {}): Promise<{ status: number; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = get(`${fixture.server.url}${path}`, { headers: options.range ? { range: options.range } : {} }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        if (options.abortAfter !== undefined && received >= options.abortAfter) {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, bytes: Buffer.concat(chunks) });
        } else if (options.slow) {
          // Stop reading now and then, so the server's socket writes queue up and complete late.
          res.pause();
          setTimeout(() => res.resume(), 2);
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', (err) => (options.abortAfter !== undefined ? undefined : reject(err)));
  });
}

test('concurrent, slow and aborted pulls each get exactly the blob, through reused buffers', async () => {
  const { client } = fixture;
  await client.pushBlob('buffers/app', blob);
  const path = `/v2/buffers/app/blobs/${digest}`;
  const givenBack = readBuffers.stats.givenBack;
  const reused = readBuffers.stats.reused;

  const aborted = await pull(path, { abortAfter: 1024 * 1024 });
  assert.equal(aborted.status, 200);
  const pulls = await Promise.all([pull(path, { slow: true }), pull(path), pull(path, { slow: true }), pull(path), pull(path, { range: 'bytes=1000-5000000' })]);
  for (const [i, p] of pulls.slice(0, 4).entries()) {
    assert.equal(p.status, 200);
    assert.equal(createHash('sha256').update(p.bytes).digest('hex'), digest.slice('sha256:'.length), `pull ${i} got the blob's bytes`);
  }
  assert.equal(pulls[4]!.status, 206);
  assert.ok(pulls[4]!.bytes.equals(blob.subarray(1000, 5000001)), 'a large range is served exactly');
  assert.ok(readBuffers.stats.givenBack > givenBack, 'responses gave their read buffers back');
  assert.ok(readBuffers.stats.reused > reused, 'later reads reused them');
});
