import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WRITE_COALESCE_BYTES, writerTo } from './fs-io.ts';

const dir = mkdtempSync(join(tmpdir(), 'lazaret-fs-io-'));

function chunks(data: Buffer, size: number) {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

test('writerTo writes chunks that arrive during a write together, every byte in order', async () => {
  const data = randomBytes(3 * WRITE_COALESCE_BYTES + 12_345);
  const path = join(dir, 'a');
  const fh = await open(path, 'w');
  let writes = 0;
  const writev = fh.writev.bind(fh);
  fh.writev = ((...args: Parameters<typeof writev>) => {
    writes++;
    return writev(...args);
  }) as typeof fh.writev;
  await pipeline(Readable.from(chunks(data, 16 * 1024)), writerTo(fh));
  await fh.close();
  assert.ok(readFileSync(path).equals(data));
  const sent = Math.ceil(data.length / (16 * 1024));
  assert.ok(writes * 4 <= sent, `${writes} writes for ${sent} chunks: chunks queued behind a write were not batched`);
});

test('writerTo at a position leaves the bytes before it alone (chunked uploads append at an offset)', async () => {
  const path = join(dir, 'b');
  const head = randomBytes(1000);
  writeFileSync(path, head);
  const tail = randomBytes(2 * WRITE_COALESCE_BYTES + 7);
  const fh = await open(path, 'r+');
  await pipeline(Readable.from(chunks(tail, 60_000)), writerTo(fh, head.length));
  await fh.close();
  assert.ok(readFileSync(path).equals(Buffer.concat([head, tail])));
});

test('bytes reach the file without waiting for more (a stalled client\'s bytes are visible)', async () => {
  const path = join(dir, 'd');
  const fh = await open(path, 'w');
  let release!: () => void;
  const stall = new Promise<void>((r) => (release = r));
  async function* body() {
    yield Buffer.alloc(512 * 1024, 1);
    await stall;
    yield Buffer.alloc(10, 2);
  }
  const done = pipeline(Readable.from(body()), writerTo(fh));
  const deadline = Date.now() + 5000;
  while ((await fh.stat()).size < 512 * 1024) {
    assert.ok(Date.now() < deadline, 'the first chunk was held back');
    await new Promise((r) => setTimeout(r, 10));
  }
  release();
  await done;
  await fh.close();
  assert.equal(readFileSync(path).length, 512 * 1024 + 10);
});

test('a failing source makes the pipeline reject', async () => {
  const path = join(dir, 'c');
  const fh = await open(path, 'w');
  async function* broken() {
    yield Buffer.alloc(1000);
    throw new Error('client went away');
  }
  await assert.rejects(pipeline(Readable.from(broken()), writerTo(fh)), /client went away/);
  await fh.close();
});
