import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { READ_HIGH_WATER_MARK } from './fs-io.ts';
import { givesBuffersBack, pooledFileReader, readBuffers } from './read-buffers.ts';

const dir = mkdtempSync(join(tmpdir(), 'lazaret-read-buffers-'));
const CHUNK = READ_HIGH_WATER_MARK;
const data = randomBytes(8 * CHUNK + 1234);
const path = join(dir, 'blob');
writeFileSync(path, data);

async function readAll(start: number, end: number) {
  const out: Buffer[] = [];
  // Copies: the test holds chunks past their consumption, which a pooled reader's consumer must not.
  for await (const chunk of pooledFileReader(await open(path, 'r'), start, end)) out.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(out);
}

test('pooledFileReader reads exactly the span, large or small, and stops at end of file', async () => {
  assert.ok((await readAll(0, data.length - 1)).equals(data));
  assert.ok((await readAll(100, 3 * CHUNK + 7)).equals(data.subarray(100, 3 * CHUNK + 8)));
  assert.ok((await readAll(5, 5)).equals(data.subarray(5, 6)));
  assert.ok((await readAll(CHUNK, data.length + 10 * CHUNK)).equals(data.subarray(CHUNK)), 'a file shorter than the span ends early');
});

/**
 * A destination whose writes complete only when the test says so: a pooled buffer must not go
 * back while its write is pending, whatever the stream machinery has done with it.
 */
function heldWriter() {
  const callbacks: ((err?: Error) => void)[] = [];
  const received: Buffer[] = [];
  const dest = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _enc, done) {
      received.push(Buffer.from(chunk));
      callbacks.push(done);
    },
  });
  return { dest, received, completeOne: () => callbacks.shift()?.(), pending: () => callbacks.length };
}

const tick = () => new Promise((r) => setImmediate(r));
/** Until `done` or 20 s (the file reads run on the thread pool, slow on a loaded machine). */
const until = (done: () => boolean) => {
  const deadline = Date.now() + 20_000;
  return () => !done() && Date.now() < deadline;
};

test('a buffer goes back to the pool only after its write completed, and every byte arrives intact', async () => {
  const { dest, received, completeOne, pending } = heldWriter();
  const givenBack = readBuffers.stats.givenBack;
  let completed = 0;
  pooledFileReader(await open(path, 'r'), 0, data.length - 1).pipe(givesBuffersBack(dest)).pipe(dest);
  for (const more = until(() => dest.writableFinished); more(); ) {
    const before = readBuffers.stats.givenBack;
    await tick();
    await tick();
    assert.equal(readBuffers.stats.givenBack, before, 'nothing was given back while no write completed');
    if (pending() > 0) {
      completeOne();
      completed++;
    }
    assert.ok(readBuffers.stats.givenBack - givenBack <= completed, 'never more buffers back than completed writes');
  }
  await tick();
  assert.ok(dest.writableFinished);
  assert.ok(Buffer.concat(received).equals(data));
  assert.equal(readBuffers.stats.givenBack - givenBack, 8, 'the eight full-size reads gave their buffers back');
});

test('a destination destroyed with writes pending gives nothing back', async () => {
  const { dest, completeOne } = heldWriter();
  const source = pooledFileReader(await open(path, 'r'), 0, data.length - 1);
  source.pipe(givesBuffersBack(dest)).pipe(dest);
  await tick();
  await tick();
  const givenBack = readBuffers.stats.givenBack;
  dest.destroy();
  completeOne();
  for (let i = 0; i < 5; i++) await tick();
  assert.equal(readBuffers.stats.givenBack, givenBack);
});

test('a second consumer of the stage stops the giving back', async () => {
  const { dest, completeOne, pending } = heldWriter();
  const stage = givesBuffersBack(dest);
  pooledFileReader(await open(path, 'r'), 0, data.length - 1).pipe(stage).pipe(dest);
  const kept: Buffer[] = [];
  stage.on('data', (chunk: Buffer) => kept.push(chunk));
  const givenBack = readBuffers.stats.givenBack;
  for (const more = until(() => dest.writableFinished); more(); ) {
    await tick();
    if (pending() > 0) completeOne();
  }
  assert.ok(dest.writableFinished);
  assert.equal(readBuffers.stats.givenBack, givenBack, 'chunks another consumer holds are never reused');
  assert.ok(Buffer.concat(kept).equals(data));
});
