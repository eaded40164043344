/** Reads the JSON entries of a zip (OSV's per-ecosystem all.zip) one at a time, with yauzl. */
import yauzl from 'yauzl';
import type { Readable } from 'node:stream';

export interface ZipJsonEntry {
  name: string;
  text: string;
}

/** Entries larger than this are refused: an OSV record is a few KiB, a zip bomb is not. */
const MAX_ENTRY_BYTES = 64 * 1024 * 1024;

async function readAll(stream: Readable, limit: number, name: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      stream.destroy();
      throw new Error(`${name}: entry larger than ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function zipEntryCount(path: string): Promise<number> {
  const zip = await yauzl.openPromise(path, { lazyEntries: true });
  const n = zip.entryCount;
  zip.close();
  return n;
}

/** Yields every `*.json` entry; other entries are skipped. Throws yauzl's error for a corrupt zip. */
export async function* readZipJson(path: string): AsyncGenerator<ZipJsonEntry> {
  const zip = await yauzl.openPromise(path, { lazyEntries: true, validateEntrySizes: true });
  try {
    while (true) {
      const entry = await new Promise<yauzl.Entry | undefined>((resolve, reject) => {
        const onEntry = (e: yauzl.Entry) => {
          cleanup();
          resolve(e);
        };
        const onEnd = () => {
          cleanup();
          resolve(undefined);
        };
        const onError = (err: Error) => {
          cleanup();
          reject(err);
        };
        const cleanup = () => {
          zip.off('entry', onEntry);
          zip.off('end', onEnd);
          zip.off('error', onError);
        };
        zip.on('entry', onEntry);
        zip.on('end', onEnd);
        zip.on('error', onError);
        zip.readEntry();
      });
      if (!entry) return;
      if (entry.fileName.endsWith('/') || !entry.fileName.endsWith('.json')) continue;
      if (entry.uncompressedSize > MAX_ENTRY_BYTES) throw new Error(`${entry.fileName}: entry larger than ${MAX_ENTRY_BYTES} bytes`);
      const stream = await zip.openReadStreamPromise(entry);
      yield { name: entry.fileName, text: await readAll(stream, MAX_ENTRY_BYTES, entry.fileName) };
    }
  } finally {
    zip.close();
  }
}
