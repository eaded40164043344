/**
 * The cost of the resumable SHA-256 the S3 driver uses for chunked uploads (src/storage/
 * resumable-sha256.ts) next to node:crypto, which cannot save its state. Prints MB/s for:
 * node:crypto over 64 MiB; hash-wasm over 64 MiB; hash-wasm saving and resuming its state at
 * every 8 MiB (a PATCH per part, each on another node). Run: node --import tsx bench/hash-state.ts
 */
import { createHash, randomBytes } from 'node:crypto';
import { newSha256, resumeSha256 } from '../src/storage/resumable-sha256.ts';

const SIZE = 64 * 1024 * 1024;
const CHUNK = 64 * 1024; // what an HTTP body stream yields
const data = randomBytes(SIZE);

async function time(name: string, fn: () => Promise<string> | string) {
  const results: number[] = [];
  let hex = '';
  for (let round = 0; round < 5; round++) {
    const t = performance.now();
    hex = await fn();
    results.push(SIZE / 1024 / 1024 / ((performance.now() - t) / 1000));
  }
  results.sort((a, b) => a - b);
  console.log(`${name.padEnd(44)} ${results[2]!.toFixed(0).padStart(6)} MB/s (median of 5)  ${hex.slice(0, 12)}`);
}

await time('node:crypto', () => {
  const h = createHash('sha256');
  for (let i = 0; i < SIZE; i += CHUNK) h.update(data.subarray(i, i + CHUNK));
  return h.digest('hex');
});
await time('hash-wasm', async () => {
  const h = await newSha256();
  for (let i = 0; i < SIZE; i += CHUNK) h.update(data.subarray(i, i + CHUNK));
  return h.hex();
});
await time('hash-wasm, state saved + resumed every 8 MiB', async () => {
  let h = await newSha256();
  for (let i = 0; i < SIZE; i += CHUNK) {
    h.update(data.subarray(i, i + CHUNK));
    if ((i + CHUNK) % (8 * 1024 * 1024) === 0) h = await resumeSha256(h.save());
  }
  return h.hex();
});
