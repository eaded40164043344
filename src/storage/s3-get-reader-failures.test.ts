/**
 * The GetObject reader's failure paths, through the S3 blob store and the driver's own client
 * (createS3Client: its retries and error mapping), against a TCP server each test scripts
 * (test/helpers/scripted-http-server.ts) to misbehave as S3 servers and networks do.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createTlsServer } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, test } from 'node:test';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { head, startScriptedServer, type Script } from '../../test/helpers/scripted-http-server.ts';
import type { Digest } from '../oci/index.ts';
import { isStorageError } from './errors.ts';
import { createS3BlobStore } from './s3/s3-blob-store.ts';
import { createS3Client } from './s3/s3-client.ts';
import { GetObjectHandler } from './s3/get-object-handler.ts';
import { createMemoryUploadStates } from './upload-states.ts';

const DIGEST = `sha256:${'ab'.repeat(32)}` as Digest;
const MiB = 1024 * 1024;
const SOCKET_TIMEOUT = 300;
const xmlError = (code: string) => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`;

async function drain(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) parts.push(chunk);
  return Buffer.concat(parts);
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function storeOn(script: Script) {
  const server = await startScriptedServer(script);
  const settings = { bucket: 'b', endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, accessKeyId: 'k', secretAccessKey: 's' };
  const client = createS3Client(settings, { socketTimeout: SOCKET_TIMEOUT, connectionTimeout: 1_000 });
  cleanups.push(() => client.destroy(), () => server.close());
  const store = createS3BlobStore({ ...settings, client, states: createMemoryUploadStates() });
  return { server, store, handler: client.config.requestHandler as unknown as GetObjectHandler };
}

/** Answers every request with `status`, `body`. */
const always = (status: number, body: Buffer | string, extra: Record<string, string> = {}): Script => (_r, socket) => {
  socket.write(head(status, Buffer.byteLength(body), extra));
  socket.write(body);
};

describe('S3 GetObject reader: a misbehaving server', () => {
  for (const [what, size] of [
    ['a small body (one exact buffer)', 600_000],
    ['a large body (pooled buffers)', 3 * MiB],
  ] as const) {
    test(`${what} cut short by the server closing is an error, never a short success`, async () => {
      const { store } = await storeOn((_r, socket) => {
        socket.write(head(200, size));
        socket.end(randomBytes(size - 1000));
      });
      await assert.rejects(async () => drain((await store.open(DIGEST))!), /S3 response body ended after \d+ of \d+ bytes/);
      await assert.rejects(async () => drain((await store.openVersioned!(DIGEST))!.stream), /ended after/);
    });
  }

  test('a Content-Length larger than what is sent, then silence: the body times out', async () => {
    const { store } = await storeOn((_r, socket) => socket.write(head(200, 5000) + 'x'.repeat(100)));
    const t0 = Date.now();
    await assert.rejects(async () => drain((await store.open(DIGEST))!), /sent nothing for 300 ms/);
    assert.ok(Date.now() - t0 < 3_000);
  });

  test('a Content-Length smaller than what is sent: exactly that many bytes, and the connection is not used again', async () => {
    const { store, server } = await storeOn((_r, socket) => socket.write(`${head(200, 10)}0123456789EXTRA-BYTES`));
    assert.equal((await drain((await store.open(DIGEST))!)).toString(), '0123456789');
    assert.equal((await drain((await store.open(DIGEST))!)).toString(), '0123456789');
    assert.equal(server.connections, 2);
  });

  test('503 then success: the driver retries and gets the right bytes, on the same connection', async () => {
    const data = randomBytes(2 * MiB);
    const { store, server } = await storeOn((r, socket) => {
      if (r.index === 0) always(503, xmlError('ServiceUnavailable'))(r, socket);
      else always(200, data)(r, socket);
    });
    assert.ok((await drain((await store.open(DIGEST))!)).equals(data));
    assert.equal(server.requests.length, 2);
    assert.equal(server.connections, 1);
  });

  test('a server that accepts and never answers: retried, then StorageError unavailable within seconds, no hang', async () => {
    const { store, server } = await storeOn(() => undefined);
    const t0 = Date.now();
    await assert.rejects(store.open(DIGEST), (err) => isStorageError(err, 'unavailable') && /did not answer in time/.test(err.message));
    assert.ok(Date.now() - t0 < 10_000, `gave up after ${Date.now() - t0} ms`);
    assert.equal(server.requests.length, 4, 'the SDK standard retry mode: 4 attempts');
  });

  test('404 NoSuchKey: open answers undefined (not found), and the connection serves the next GET', async () => {
    const data = randomBytes(1000);
    const { store, server } = await storeOn((r, socket) => (r.index === 0 ? always(404, xmlError('NoSuchKey'), { 'Content-Type': 'application/xml' }) : always(200, data))(r, socket));
    assert.equal(await store.open(DIGEST), undefined);
    assert.ok((await drain((await store.open(DIGEST))!)).equals(data));
    assert.equal(server.connections, 1);
  });

  test('a chunked answer is sent again through node:http, which reads it right', async () => {
    const data = randomBytes(300_000);
    const { store, handler, server } = await storeOn((_r, socket) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nETag: "x"\r\n\r\n');
      for (let at = 0; at < data.length; at += 70_000) {
        const piece = data.subarray(at, at + 70_000);
        socket.write(`${piece.length.toString(16)}\r\n`);
        socket.write(piece);
        socket.write('\r\n');
      }
      socket.write('0\r\n\r\n');
    });
    const fallbacks = handler.stats.fallbacks;
    assert.ok((await drain((await store.open(DIGEST))!)).equals(data));
    assert.equal(handler.stats.fallbacks - fallbacks, 1);
    assert.equal(server.requests.length, 2);
  });

  for (const [what, answer] of [
    ['a malformed status line', 'HTTP/1.1 2OO OK\r\nContent-Length: 3\r\n\r\nabc'],
    ['conflicting Content-Length fields', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd'],
    ['a header field without a colon', 'HTTP/1.1 200 OK\r\nContent-Length 3\r\n\r\nabc'],
  ]) {
    test(`${what} is an error (unavailable), not a guess and not sent again`, async () => {
      const { store, handler, server } = await storeOn((_r, socket) => socket.write(answer!));
      await assert.rejects(store.open(DIGEST), (err) => isStorageError(err, 'unavailable') && /invalid response from the S3 server/.test(err.message));
      assert.equal(handler.stats.fallbacks, 0);
      assert.equal(server.requests.length, 1);
    });
  }

  test('a keep-alive connection the server dropped while idle: the GET goes out again on a new one', async () => {
    const data = randomBytes(5000);
    const { store, server } = await storeOn((r, socket) => {
      if (r.connection === 0 && r.onConnection === 1) socket.destroy();
      else always(200, data)(r, socket);
    });
    assert.ok((await drain((await store.open(DIGEST))!)).equals(data));
    assert.ok((await drain((await store.open(DIGEST))!)).equals(data));
    assert.equal(server.requests.length, 3);
    assert.equal(server.connections, 2);
  });

  test('a consumer holding the body back longer than the socket timeout does not time it out', async () => {
    const data = randomBytes(4 * MiB);
    const { store } = await storeOn(always(200, data));
    const stream = (await store.open(DIGEST))!;
    const parts: Buffer[] = [];
    let waited = false;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      parts.push(chunk);
      if (!waited) {
        waited = true;
        await sleep(SOCKET_TIMEOUT * 3);
      }
    }
    assert.ok(Buffer.concat(parts).equals(data));
  });

  test('a consumer that destroys the body midway: the connection is dropped, the next GET is whole', async () => {
    const data = randomBytes(3 * MiB);
    const { store, server } = await storeOn(always(200, data));
    const stream = (await store.open(DIGEST))!;
    for await (const _ of stream) break;
    assert.ok((await drain((await store.open(DIGEST))!)).equals(data));
    assert.equal(server.connections, 2);
  });

  test('an endpoint that refuses connections: unavailable, saying it is unreachable', async () => {
    const { store, server } = await storeOn(() => undefined);
    await server.close();
    await assert.rejects(store.open(DIGEST), (err) => isStorageError(err, 'unavailable') && /unreachable \(ECONNREFUSED\)/.test(err.message));
  });
});

describe('S3 GetObject reader over TLS', () => {
  test('a GET over https is read by our reader, byte for byte', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lazaret-tls-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { cwd: dir, stdio: 'ignore' });
    const [cert, key] = [readFileSync(join(dir, 'cert.pem')), readFileSync(join(dir, 'key.pem'))];
    const data = randomBytes(2 * MiB + 5);
    let requests = 0;
    const server = createTlsServer({ cert, key }, (socket) => {
      socket.on('error', () => undefined);
      let pending = '';
      socket.on('data', (c) => {
        pending += c.toString('latin1');
        while (pending.includes('\r\n\r\n')) {
          pending = pending.slice(pending.indexOf('\r\n\r\n') + 4);
          requests++;
          socket.write(head(200, data.length));
          socket.write(data);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as { port: number }).port;
    const handler = new GetObjectHandler({ fallback: new NodeHttpHandler(), tls: { ca: cert } });
    const client = new S3Client({ endpoint: `https://localhost:${port}`, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'k', secretAccessKey: 's' }, requestHandler: handler });
    cleanups.push(() => client.destroy());
    for (let i = 0; i < 2; i++) {
      const out = await client.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }));
      assert.ok((await drain(out.Body as Readable)).equals(data));
    }
    assert.deepEqual([handler.stats.direct, handler.stats.connections, requests], [2, 1, 2]);
  });
});
