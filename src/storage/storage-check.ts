/**
 * `lazaret storage check`: proves the configured blob store works end to end, without the
 * metadata store: it answers (probe), a blob can be written, read back byte for byte and
 * deleted, and a chunked upload larger than one S3 part commits (multipart on S3). It writes
 * only blobs of random bytes of its own (content-addressed: no one else's blob can be hit) and
 * removes them. Each step reports what it did; the first failure stops with its message.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { LazaretConfig } from '../config/schema.ts';
import { digestOf } from '../oci/index.ts';
import { openBlobStore } from './open-blob-store.ts';
import { createMemoryUploadStates } from './upload-states.ts';

export interface CheckStep {
  step: string;
  ok: boolean;
  detail: string;
}

async function readAll(stream: Readable | undefined): Promise<Buffer> {
  if (!stream) throw new Error('the blob just written is not there');
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function checkStorage(config: LazaretConfig, report: (s: CheckStep) => void = () => undefined): Promise<boolean> {
  const blobs = await openBlobStore(config, config.dataDir, createMemoryUploadStates());
  const target = config.storage.driver === 's3' ? `s3 bucket ${config.storage.s3?.bucket}${config.storage.s3?.prefix ? ` (prefix ${config.storage.s3.prefix})` : ''}` : `filesystem ${join(config.dataDir, 'blobs')}`;
  const run = async (step: string, fn: () => Promise<string>) => {
    try {
      report({ step, ok: true, detail: await fn() });
      return true;
    } catch (err) {
      report({ step, ok: false, detail: err instanceof Error ? err.message : String(err) });
      return false;
    }
  };
  const small = randomBytes(4096);
  const d = digestOf(small);
  const big = randomBytes(6 * 1024 * 1024 + 1);
  const bigDigest = digestOf(big);
  const steps: [string, () => Promise<string>][] = [
    ['reach', async () => (await blobs.probe(), `${target} answers`)],
    ['write', async () => (await blobs.put(d, Readable.from([small]), small.length), `wrote ${d}`)],
    ['read', async () => {
      const back = await readAll(await blobs.open(d));
      if (!back.equals(small)) throw new Error('the bytes read back differ from those written');
      const part = await readAll(await blobs.open(d, { start: 100, end: 199 }));
      if (!part.equals(small.subarray(100, 200))) throw new Error('a range read returned the wrong bytes');
      return 'read back identical (whole and a range)';
    }],
    ['chunked upload', async () => {
      const id = randomUUID();
      await blobs.uploads.create(id);
      let offset = 0;
      for (const size of [1024 * 1024, 5 * 1024 * 1024, 1]) offset = await blobs.uploads.append(id, offset, Readable.from([big.subarray(offset, offset + size)]));
      await blobs.uploads.commit(id, bigDigest);
      if (!(await blobs.stat(bigDigest))) throw new Error('the committed upload is not visible');
      return `committed ${big.length} bytes in 3 chunks`;
    }],
    ['delete', async () => {
      await blobs.delete(d);
      await blobs.delete(bigDigest);
      if (await blobs.stat(d)) throw new Error('the blob is still there after delete');
      return 'deleted the check blobs';
    }],
  ];
  for (const [step, fn] of steps) if (!(await run(step, fn))) return false;
  return true;
}

