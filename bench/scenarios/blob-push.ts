/**
 * Scenarios 1 and 2: monolithic pushes (4 KiB at concurrency 32, 64 MiB at concurrency 2)
 * and a chunked push (256 MiB in 8 MiB PATCHes).
 */
import { MiB, smallBlobPool } from '../lib/data.ts';
import { REPOS } from '../lib/fixture.ts';
import { pushScope } from '../lib/registry-client.ts';
import { timedLanes, type Scenario } from '../lib/scenario.ts';
import { verifyBlobGet, verifyBlobHead } from '../lib/verify.ts';

/** Blobs made per second of run time: more than any registry here pushes, so lanes never run dry. */
const SMALL_BLOBS_PER_SECOND = 6000;

export const pushSmall: Scenario = {
  id: 'push-4k',
  group: 1,
  title: 'blob push monolithic 4 KiB, c=32',
  unit: 'ops/s',
  onVariants: false,
  targetRatio: 2,
  async prepare({ target, seconds }) {
    const { client } = target.instance;
    const blobs = smallBlobPool(Math.ceil(SMALL_BLOBS_PER_SECOND * seconds), 4096);
    const headers = await client.authHeaders([pushScope(REPOS.pushSmall)]);
    const pool = client.pool(32);
    let pushed = 0;
    return {
      async run() {
        const outcome = await timedLanes(32, seconds, async (_lane, n) => {
          const blob = blobs[n];
          if (!blob) throw new Error('the pre-made blob pool ran dry (raise SMALL_BLOBS_PER_SECOND)');
          await client.pushBlob(pool, REPOS.pushSmall, blob, headers);
          pushed = Math.max(pushed, n + 1);
        });
        return outcome;
      },
      async verify() {
        const sample = [0, Math.floor(pushed / 2), pushed - 1].filter((i, k, a) => i >= 0 && a.indexOf(i) === k);
        for (const i of sample) await verifyBlobGet(client, pool, REPOS.pushSmall, blobs[i]!.digest, 4096);
        return sample.length;
      },
      close: () => pool.close(),
    };
  },
};

export const pushBig: Scenario = {
  id: 'push-64m',
  group: 1,
  title: 'blob push monolithic 64 MiB, c=2',
  unit: 'MB/s',
  onVariants: false,
  targetRatio: 2,
  memory: true,
  async prepare({ target, seconds, data }) {
    const { client } = target.instance;
    const headers = await client.authHeaders([pushScope(REPOS.pushBig)]);
    const pool = client.pool(2);
    const used = new Set<number>();
    return {
      run: () => timedLanes(2, seconds, async (_lane, n) => {
        const file = data.bigFiles[n % data.bigFiles.length]!;
        used.add(n % data.bigFiles.length);
        await client.pushBlob(pool, REPOS.pushBig, file, headers);
        return file.size;
      }),
      async verify() {
        for (const i of used) await verifyBlobHead(client, pool, REPOS.pushBig, data.bigFiles[i]!.digest, data.bigFiles[i]!.size);
        const first = data.bigFiles[[...used][0] ?? 0]!;
        await verifyBlobGet(client, pool, REPOS.pushBig, first.digest, first.size);
        return used.size + 1;
      },
      close: () => pool.close(),
    };
  },
};

export const pushChunked: Scenario = {
  id: 'push-chunked-256m',
  group: 2,
  title: 'blob push chunked 256 MiB in 8 MiB PATCHes',
  unit: 'MB/s',
  onVariants: false,
  // Issue 15 raised it from the first bench's 2x.
  targetRatio: 2.5,
  memory: true,
  async prepare({ target, seconds, data }) {
    const { client } = target.instance;
    const headers = await client.authHeaders([pushScope(REPOS.pushChunked)]);
    const pool = client.pool(1);
    const file = data.chunkFile;
    return {
      run: () => timedLanes(1, seconds, async () => {
        await client.pushChunked(pool, REPOS.pushChunked, file, 8 * MiB, headers);
        return file.size;
      }),
      async verify() {
        await verifyBlobGet(client, pool, REPOS.pushChunked, file.digest, file.size);
        return 1;
      },
      close: () => pool.close(),
    };
  },
};
