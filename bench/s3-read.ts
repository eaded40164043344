/**
 * What one process can read from an S3 server, without a registry in between: the ceiling of a
 * blob GET's read side on that server. For each mode, `--concurrency` lanes each GET one 64 MiB
 * object again and again for `--duration` seconds and discard (or hash) the bytes; MB/s is
 * bytes over wall time, and the process's CPU (cores) is printed beside it.
 *
 *   sh bench/ceph-rgw.sh start
 *   node --import tsx bench/s3-read.ts --s3-endpoint http://127.0.0.1:7480 [--rounds 3] [--duration 5]
 *
 * Modes: the SDK's GetObject for the whole object, the same with `Range: bytes=0-` (what
 * Distribution's s3 driver sends), each again through SHA-256 (the running digest check), and a
 * plain node:http GET of a presigned URL (no SDK), and the same GET on a bare socket reading into
 * one reused buffer (no HTTP parser, no allocation per read: the socket's own rate). Rounds alternate the
 * order of the modes. The object goes to a bucket `lazaret-s3read-<time>`, left to the server's
 * owner as the bench's buckets are.
 */
import { createHash, randomBytes } from 'node:crypto';
import { get } from 'node:http';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { Writable, type Readable } from 'node:stream';
import { Agent } from 'undici';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { GetObjectHandler } from '../src/storage/s3/get-object-handler.ts';
import { readBuffers } from '../src/storage/read-buffers.ts';

const { values } = parseArgs({
  options: {
    's3-endpoint': { type: 'string', default: 'http://127.0.0.1:7480' },
    concurrency: { type: 'string', default: '4' },
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string' },
  },
});
const endpoint = values['s3-endpoint']!;
const lanes = Number(values.concurrency);
const seconds = Number(values.duration);
const SIZE = 64 * 1024 * 1024;
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const clientConfig = {
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: process.env.LAZARET_BENCH_S3_ACCESS_KEY_ID ?? 'lazaret-bench', secretAccessKey: process.env.LAZARET_BENCH_S3_SECRET_ACCESS_KEY ?? 'lazaret-bench-secret' },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
} as const;
const client = new S3Client(clientConfig);
// The same client on Lazaret's GetObject reader (src/storage/s3/get-object-handler.ts). The
// bench gives its buffers back to the pool once counted, as a response does once it sent them.
const ours = new GetObjectHandler({ fallback: new NodeHttpHandler() });
const oursClient = new S3Client({ ...clientConfig, requestHandler: ours });
const Bucket = `lazaret-s3read-${Date.now()}`;
const Key = 'blob-64m';
await client.send(new CreateBucketCommand({ Bucket }));
await client.send(new PutObjectCommand({ Bucket, Key, Body: randomBytes(SIZE), ContentLength: SIZE }));

async function drain(body: Readable, hash: boolean, giveBack = false): Promise<number> {
  const h = hash ? createHash('sha256') : undefined;
  let n = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    n += chunk.length;
    h?.update(chunk);
    if (giveBack) readBuffers.giveBack(chunk);
  }
  h?.digest();
  return n;
}

const sdk = (range: boolean, hash: boolean) => async () => {
  const out = await client.send(new GetObjectCommand({ Bucket, Key, ...(range ? { Range: 'bytes=0-' } : {}) }));
  return drain(out.Body as Readable, hash);
};
const reader = (hash: boolean) => async () => {
  const out = await oursClient.send(new GetObjectCommand({ Bucket, Key, Range: 'bytes=0-' }));
  return drain(out.Body as Readable, hash, true);
};
const presigned = await getSignedUrl(client, new GetObjectCommand({ Bucket, Key }), { expiresIn: 3600 });
const plain = () =>
  new Promise<number>((resolve, reject) => {
    get(presigned, (res) => drain(res, false).then(resolve, reject)).on('error', reject);
  });

// The same GET on a bare socket reading into one reused buffer (net's `onread`): no per-read
// allocation and no HTTP parser, the ceiling of reading the S3 socket into a buffer pool. It
// only counts bytes after the header block (the answer is a plain 200 with Content-Length).
const target = new URL(presigned);
const reused = Buffer.allocUnsafe(256 * 1024);
const bare = () =>
  new Promise<number>((resolve, reject) => {
    let head = '';
    let body = -1;
    let length = 0;
    const socket = connect({
      host: target.hostname,
      port: Number(target.port),
      onread: {
        buffer: reused,
        callback(n: number, buf: Uint8Array): boolean {
          let from = 0;
          if (body < 0) {
            head += Buffer.from(buf.subarray(0, n)).toString('latin1');
            const end = head.indexOf('\r\n\r\n');
            if (end < 0) return true;
            length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
            from = n - (head.length - end - 4);
            body = 0;
          }
          body += n - from;
          if (body >= length) {
            socket.destroy();
            resolve(body);
          }
          return true;
        },
      },
    });
    socket.on('error', reject);
    socket.write(`GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nConnection: close\r\n\r\n`);
  });

// undici (a dependency already) on the same presigned GET, keep-alive: its three entry points,
// from the most convenient to the least. All read the socket's own fresh chunks (undici copies
// each into llhttp's WebAssembly memory and hands out views of the socket's buffer).
const agent = new Agent({ connections: lanes, pipelining: 1 });
const undiciRequest = async () => {
  const res = await agent.request({ origin: target.origin, path: target.pathname + target.search, method: 'GET' });
  return drain(res.body as unknown as Readable, false);
};
const undiciStream = async () => {
  let n = 0;
  await agent.stream({ origin: target.origin, path: target.pathname + target.search, method: 'GET' }, () =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        n += chunk.length;
        done();
      },
    }),
  );
  return n;
};
const undiciDispatch = () =>
  new Promise<number>((resolve, reject) => {
    let n = 0;
    agent.dispatch(
      { origin: target.origin, path: target.pathname + target.search, method: 'GET' },
      {
        onRequestStart() {},
        onResponseStart() {},
        onResponseData(_controller: unknown, chunk: Buffer) {
          n += chunk.length;
        },
        onResponseEnd() {
          resolve(n);
        },
        onResponseError(_controller: unknown, err: Error) {
          reject(err);
        },
      },
    );
  });

const MODES: [string, () => Promise<number>][] = [
  ['SDK GetObject, whole object', sdk(false, false)],
  ['SDK GetObject, Range: bytes=0-', sdk(true, false)],
  ['SDK GetObject, whole object + SHA-256', sdk(false, true)],
  ['SDK GetObject, Range: bytes=0- + SHA-256', sdk(true, true)],
  ['node:http GET of a presigned URL', plain],
  ['bare socket, one reused buffer (onread)', bare],
  ['SDK on our GetObject reader, Range: bytes=0-', reader(false)],
  ['SDK on our GetObject reader, Range: bytes=0- + SHA-256', reader(true)],
  ['undici request', undiciRequest],
  ['undici stream', undiciStream],
  ['undici dispatch', undiciDispatch],
];
const modes = MODES.filter(([name]) => !values.only || values.only.split(',').some((s) => name.includes(s)));

async function run(fn: () => Promise<number>) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let bytes = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (performance.now() < end) {
        const n = await fn();
        if (n !== SIZE) throw new Error(`read ${n} bytes, expected ${SIZE}`);
        bytes += n;
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { mbs: bytes / 1e6 / wall, cores: (cpu.user + cpu.system) / 1e6 / wall };
}

const results = new Map<string, { mbs: number; cores: number }[]>();
for (let round = 0; round < Number(values.rounds); round++) {
  const order = round % 2 ? [...modes].reverse() : modes;
  for (const [name, fn] of order) {
    const r = await run(fn);
    results.set(name, [...(results.get(name) ?? []), r]);
    console.log(`round ${round + 1} ${name.padEnd(42)} ${r.mbs.toFixed(0).padStart(5)} MB/s ${r.cores.toFixed(2)} cores`);
  }
}
console.log(`\nmedian of ${values.rounds} round(s), ${lanes} lanes, ${seconds} s each, ${endpoint}:`);
for (const [name, rs] of results) {
  const sorted = [...rs].sort((a, b) => a.mbs - b.mbs);
  const mid = sorted[Math.floor(sorted.length / 2)]!;
  console.log(`| ${name} | ${mid.mbs.toFixed(0)} MB/s | ${mid.cores.toFixed(2)} | ${rs.map((r) => r.mbs.toFixed(0)).join(' ')} |`);
}
client.destroy();
oursClient.destroy();
console.log('our reader:', ours.stats, 'pool:', readBuffers.stats);
await agent.close();
