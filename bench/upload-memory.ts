/**
 * Memory per open chunked upload (issue 13: chunks below S3's 5 MiB part minimum are buffered in
 * the object store, not in memory). Starts one Lazaret (`--storage s3`: on a local s3rver, else
 * the filesystem), measures its RSS idle after a warm-up upload, then runs N chunked uploads at
 * once (each 16 MiB in 2 MiB PATCHes, all uploads interleaved, so N uploads are open together and
 * each has a partial part outstanding) and samples RSS every 50 ms. Prints the peak over idle and
 * that divided by N, for N = 1 and N = 16; every upload's digest is checked at commit.
 *
 *   node --import tsx bench/upload-memory.ts [--storage s3] [--uploads N (default 16)]
 */
import { createHash, randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { installCleanup, stopAll } from './lib/children.ts';
import { startMemoryWatch } from './lib/proc-stats.ts';
import { startS3 } from './lib/s3.ts';
import { startLazaret, stopInstance } from './lib/targets.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const storage = process.argv.includes('--storage') ? process.argv[process.argv.indexOf('--storage') + 1] : 'fs';
const many = process.argv.includes('--uploads') ? Number(process.argv[process.argv.indexOf('--uploads') + 1]) : 16;
const CHUNK = 2 * 1024 * 1024;
const CHUNKS = 8;
installCleanup();

const s3 = storage === 's3' ? await startS3(repoRoot) : undefined;
const bucket = s3 ? await s3.bucket(`upload-memory-${randomBytes(4).toString('hex')}`) : undefined;
const instance = await startLazaret(repoRoot, { auth: false, adminUser: 'admin', adminPassword: 'unused-password', ...(bucket ? { s3: bucket } : {}) });
const pool = new Pool(instance.origin, { connections: 32 });

async function request(method: string, path: string, body?: Buffer, headers: Record<string, string> = {}) {
  const res = await pool.request({ method: method as 'GET', path, headers, ...(body ? { body } : {}) });
  const text = await res.body.text();
  return { statusCode: res.statusCode, headers: res.headers, text };
}

/** N uploads open at once; each PATCH round sends one chunk to every upload. */
async function uploads(n: number, round: string): Promise<void> {
  // Distinct blobs (the first chunk differs per upload): commits of one digest at once would
  // race on one key, which s3rver does not survive (it answers errors; AWS S3 does not).
  const shared = Array.from({ length: CHUNKS - 1 }, () => randomBytes(CHUNK));
  const firsts = Array.from({ length: n }, () => randomBytes(CHUNK));
  const chunkOf = (i: number, c: number) => (c === 0 ? firsts[i]! : shared[c - 1]!);
  const digests = firsts.map((f) => `sha256:${[f, ...shared].reduce((h, c) => h.update(c), createHash('sha256')).digest('hex')}`);
  const locations = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const res = await request('POST', `/v2/memory/${round}-${i}/blobs/uploads/`);
      if (res.statusCode !== 202) throw new Error(`POST: ${res.statusCode}: ${res.text.slice(0, 300)}`);
      return String(res.headers.location);
    }),
  );
  for (let c = 0; c < CHUNKS; c++) {
    await Promise.all(
      locations.map(async (loc, i) => {
        const url = new URL(loc, instance.origin);
        const res = await request('PATCH', url.pathname + url.search, chunkOf(i, c), { 'content-type': 'application/octet-stream', 'content-range': `${c * CHUNK}-${(c + 1) * CHUNK - 1}` });
        if (res.statusCode !== 202) throw new Error(`PATCH ${c}: ${res.statusCode}: ${res.text.slice(0, 300)}`);
        locations[i] = String(res.headers.location);
      }),
    );
  }
  await Promise.all(
    locations.map(async (loc, i) => {
      const url = new URL(loc, instance.origin);
      url.searchParams.set('digest', digests[i]!);
      const res = await request('PUT', url.pathname + url.search);
      if (res.statusCode !== 201) throw new Error(`PUT: ${res.statusCode} (digest checked at commit): ${res.text.slice(0, 300)}`);
    }),
  );
}

try {
  await uploads(1, 'warm');
  const idle = startMemoryWatch(instance.pid).stop();
  console.log(`upload-memory (${storage}): idle after warm-up ${idle.toFixed(0)} MiB RSS; ${CHUNKS} PATCHes of ${CHUNK / 1024 / 1024} MiB per upload`);
  for (const n of [1, many]) {
    const watch = startMemoryWatch(instance.pid);
    const t = performance.now();
    await uploads(n, `n${n}`);
    const peak = watch.stop();
    console.log(`  ${String(n).padStart(2)} uploads at once: peak ${peak.toFixed(0)} MiB, +${(peak - idle).toFixed(0)} MiB over idle, ${((peak - idle) / n).toFixed(1)} MiB per upload, ${((n * CHUNKS * CHUNK) / 1e6 / ((performance.now() - t) / 1000)).toFixed(0)} MB/s`);
  }
} finally {
  await pool.close();
  await stopInstance(instance, false);
  await stopAll();
}
process.exit(0);
