/**
 * Scenario 3: pulling a 64 MiB blob at concurrency 4 (streamed and discarded; the first pull
 * of every lane is hashed), and blob HEAD at concurrency 64 (raw-socket generator).
 */
import { createHash } from 'node:crypto';
import { REPOS } from '../lib/fixture.ts';
import { pullScope } from '../lib/registry-client.ts';
import { runHeadLoad } from '../lib/raw-load.ts';
import { check, timedLanes, type Scenario } from '../lib/scenario.ts';
import { verifyBlobGet, verifyBlobHead } from '../lib/verify.ts';

export const pullBig: Scenario = {
  id: 'pull-64m',
  group: 3,
  title: 'blob pull 64 MiB, c=4',
  unit: 'MB/s',
  onVariants: false,
  targetRatio: 1,
  memory: true,
  async prepare({ target, seconds, data }) {
    const { client } = target.instance;
    const blob = data.fixture.bigBlob;
    const path = `/v2/${REPOS.blobs}/blobs/${blob.digest}`;
    const headers = await client.authHeaders([pullScope(REPOS.blobs)]);
    const pool = client.pool(4);
    const hashedLanes = new Set<number>();
    let verified = 0;
    return {
      run: () => timedLanes(4, seconds, async (lane) => {
        const res = await pool.request({ method: 'GET', path, headers });
        check(res.statusCode === 200, `GET ${path}: status ${res.statusCode}`);
        const hash = hashedLanes.has(lane) ? undefined : createHash('sha256');
        let bytes = 0;
        for await (const chunk of res.body) {
          bytes += (chunk as Buffer).length;
          hash?.update(chunk as Buffer);
        }
        check(bytes === blob.size, `GET ${path}: ${bytes} bytes, expected ${blob.size}`);
        if (hash) {
          check(`sha256:${hash.digest('hex')}` === blob.digest, `GET ${path}: content does not match its digest`);
          hashedLanes.add(lane);
          verified++;
        }
        return bytes;
      }),
      async verify() {
        if (verified === 0) await verifyBlobGet(client, pool, REPOS.blobs, blob.digest, blob.size);
        return Math.max(1, verified);
      },
      close: () => pool.close(),
    };
  },
};

export const blobHead: Scenario = {
  id: 'blob-head',
  group: 3,
  title: 'blob HEAD, c=64',
  unit: 'req/s',
  onVariants: true,
  async prepare({ target, seconds, data }) {
    const { client, host, port } = target.instance;
    const blob = data.fixture.bigBlob;
    const headers = await client.authHeaders([pullScope(REPOS.blobs)]);
    return {
      async run() {
        const r = await runHeadLoad({ host, port, path: `/v2/${REPOS.blobs}/blobs/${blob.digest}`, headers, connections: 64, seconds });
        return { ops: r.requests, seconds: r.seconds, errors: r.errors, p50Ms: r.p50Ms, p99Ms: r.p99Ms, firstError: r.errors ? 'non-2xx/3xx HEAD responses or socket errors' : undefined };
      },
      async verify() {
        const pool = client.pool(1);
        try {
          await verifyBlobHead(client, pool, REPOS.blobs, blob.digest, blob.size);
        } finally {
          await pool.close();
        }
        return 1;
      },
    };
  },
};
