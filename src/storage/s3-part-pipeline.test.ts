/**
 * The S3 driver uploads a part while it receives the next (s3/s3-uploads.ts writeParts),
 * against a TCP server scripted as a slow S3 (test/helpers/scripted-http-server.ts): receiving
 * goes on while a part is in flight, never more than one part is in flight, the parts are
 * completed in order with their own ETags, and a part that fails ends the put with
 * `unavailable` after the multipart upload was aborted, with no later part sent.
 */
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Socket } from 'node:net';
import { afterEach, test } from 'node:test';
import { head, startScriptedServer, type ScriptedRequest } from '../../test/helpers/scripted-http-server.ts';
import type { Digest } from '../oci/index.ts';
import { isStorageError } from './errors.ts';
import { createS3BlobStore } from './s3/s3-blob-store.ts';
import { createS3Client } from './s3/s3-client.ts';
import { MIN_PART_SIZE } from './s3/s3-context.ts';
import { createMemoryUploadStates } from './upload-states.ts';

const PART = MIN_PART_SIZE;
const CHUNK = 1024 * 1024;
const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>${body}`;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A slow S3: each UploadPart is answered after `partDelayMs`; `failPart` answers 500 always. */
async function slowS3(options: { partDelayMs: number; failPart?: number }) {
  const log = { parts: [] as number[], inFlight: 0, maxInFlight: 0, answeredParts: 0, abortAfterParts: -1, complete: '' };
  let yielded = 0;
  /** PutObject bodies (the tail object), served back to GetObject. */
  const objects = new Map<string, Buffer>();
  const yieldedAtFirstAnswer: number[] = [];
  const answer = (socket: Socket, status: number, body: string | Buffer = '', extra: Record<string, string> = {}) => {
    socket.write(head(status, Buffer.byteLength(body), extra));
    socket.write(body);
  };
  const server = await startScriptedServer((r: ScriptedRequest, socket) => {
    const [method = '', target = ''] = r.line.split(' ');
    const url = new URL(target, 'http://s3');
    const q = url.searchParams;
    if (method === 'POST' && q.has('uploads')) return answer(socket, 200, xml(`<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>U1</UploadId></InitiateMultipartUploadResult>`));
    if (method === 'PUT' && q.has('partNumber')) {
      const n = Number(q.get('partNumber'));
      log.parts.push(n);
      log.inFlight++;
      log.maxInFlight = Math.max(log.maxInFlight, log.inFlight);
      setTimeout(() => {
        log.inFlight--;
        log.answeredParts++;
        if (yieldedAtFirstAnswer.length === 0) yieldedAtFirstAnswer.push(yielded);
        if (n === options.failPart) answer(socket, 500, xml('<Error><Code>InternalError</Code><Message>no</Message></Error>'));
        else answer(socket, 200, '', { ETag: `"etag-${n}-${createHash('md5').update(r.body).digest('hex')}"` });
      }, options.partDelayMs);
      return;
    }
    if (method === 'POST' && q.has('uploadId')) {
      log.complete = r.body.toString();
      return answer(socket, 200, xml('<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><ETag>"done"</ETag></CompleteMultipartUploadResult>'));
    }
    if (method === 'DELETE' && q.has('uploadId')) {
      log.abortAfterParts = log.answeredParts;
      return answer(socket, 204);
    }
    if (method === 'PUT' && r.headers['x-amz-copy-source']) return answer(socket, 200, xml('<CopyObjectResult><ETag>"c"</ETag><LastModified>2026-12-03T10:00:00.000Z</LastModified></CopyObjectResult>'));
    if (method === 'PUT') {
      objects.set(url.pathname, r.body);
      return answer(socket, 200, '', { ETag: '"o"' });
    }
    if (method === 'GET' && objects.has(url.pathname)) return answer(socket, 200, objects.get(url.pathname)!);
    if (method === 'DELETE') return answer(socket, 204);
    return answer(socket, 200);
  });
  const settings = { bucket: 'b', endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, accessKeyId: 'k', secretAccessKey: 's' };
  const client = createS3Client(settings, { socketTimeout: 5_000, connectionTimeout: 1_000 });
  cleanups.push(() => client.destroy(), () => server.close());
  const store = createS3BlobStore({ ...settings, client, states: createMemoryUploadStates(), partSize: PART });
  /** `size` bytes in 1 MiB chunks, counting what the store has taken. */
  const source = (data: Buffer) =>
    Readable.from(
      (function* () {
        for (let at = 0; at < data.length; at += CHUNK) {
          yielded = at + CHUNK;
          yield data.subarray(at, at + CHUNK);
        }
      })(),
    );
  return { store, log, source, yieldedAtFirstAnswer };
}

test('a part is uploaded while the next is received, one in flight at most, completed in order', async () => {
  const { store, log, source, yieldedAtFirstAnswer } = await slowS3({ partDelayMs: 300 });
  const data = randomBytes(3 * PART + 123);
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}` as Digest;
  assert.deepEqual(await store.put(digest, source(data), data.length), { digest, size: data.length });
  assert.deepEqual(log.parts, [1, 2, 3, 4], 'three parts, then the tail (123 bytes) as the last');
  assert.equal(log.maxInFlight, 1);
  // While part 1 was with the server, the store read on up to a second part (the code before
  // this waited at one part and a chunk).
  assert.ok(yieldedAtFirstAnswer[0]! >= 2 * PART, `received ${yieldedAtFirstAnswer[0]} bytes by the first part's answer`);
  const etags = [...log.complete.matchAll(/<Part>(.*?)<\/Part>/g)].flatMap(([, part]) => [/<PartNumber>(\d+)</.exec(part!)?.[1], /<ETag>([^<]+)</.exec(part!)?.[1]]);
  const want = [1, 2, 3, 4].flatMap((n) => [String(n), `"etag-${n}-${createHash('md5').update(data.subarray((n - 1) * PART, n * PART)).digest('hex')}"`]);
  assert.deepEqual(etags.map((e) => e?.replace(/&quot;/g, '"')), want);
});

test('a part that keeps failing: unavailable, the multipart upload aborted after it, no later part sent', async () => {
  const { store, log, source } = await slowS3({ partDelayMs: 50, failPart: 2 });
  const data = randomBytes(4 * PART);
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}` as Digest;
  await assert.rejects(store.put(digest, source(data), data.length), (err) => isStorageError(err, 'unavailable'));
  assert.deepEqual([...new Set(log.parts)], [1, 2], 'part 3 is never cut while part 2 is unsettled');
  assert.equal(log.maxInFlight, 1);
  assert.equal(log.inFlight, 0);
  assert.equal(log.abortAfterParts, log.parts.length, 'aborted once every part request was answered');
});
