/**
 * A layer's bytes as an uncompressed tar stream: the compressed bytes are hashed on the way
 * (DIGEST_MISMATCH at the end when they are not the descriptor's), decompressed by what their
 * first bytes say (gzip via node:zlib, zstd via fzstd, else plain tar: registries mislabel
 * layers, Docker sniffs too), and counted: past maxLayerBytes, or past maxCompressionRatio once
 * ratioGraceBytes are out, the stream fails with LAYER_TOO_LARGE before anything else is read.
 */
import { createHash } from 'node:crypto';
import { PassThrough, pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { ScanError } from '../scan-error.ts';
import type { ScanLimits } from './limits.ts';

/** A zstd frame whose window is larger than this is refused (fzstd allocates the window up front). */
export const MAX_ZSTD_WINDOW = 64 * 1024 * 1024;

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

function startsWith(chunk: Buffer, magic: number[]): boolean {
  return magic.every((b, i) => chunk[i] === b);
}

/** The window (or, for single-segment frames, content) size a zstd frame header declares. */
export function zstdFrameWindow(header: Buffer): number | undefined {
  if (header.length < 6 || !startsWith(header, ZSTD_MAGIC)) return undefined;
  const fhd = header[4];
  const singleSegment = (fhd >> 5) & 1;
  const fcsFlag = fhd >> 6;
  if (!singleSegment) {
    const wd = header[5];
    const windowBase = 2 ** (10 + (wd >> 3));
    return windowBase + (windowBase / 8) * (wd & 7);
  }
  const dictBytes = [0, 1, 2, 4][fhd & 3];
  const fcsBytes = [1, 2, 4, 8][fcsFlag];
  const at = 5 + dictBytes;
  if (header.length < at + fcsBytes) return undefined;
  let size = 0;
  for (let i = fcsBytes - 1; i >= 0; i--) size = size * 256 + header[at + i];
  return fcsBytes === 2 ? size + 256 : size;
}

function zstdStream(): Transform {
  let decoder: Decompress | undefined;
  let out: Transform;
  const pushOut = (chunk: Uint8Array) => {
    if (chunk.length) out.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
  };
  out = new Transform({
    transform(chunk: Buffer, _enc, done) {
      try {
        if (!decoder) {
          const window = zstdFrameWindow(chunk);
          if (window !== undefined && window > MAX_ZSTD_WINDOW) {
            return done(new ScanError('LAYER_TOO_LARGE', `a zstd frame declares a ${window}-byte window (limit ${MAX_ZSTD_WINDOW})`));
          }
          decoder = new Decompress((data) => pushOut(data));
        }
        decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done) {
      try {
        decoder?.push(new Uint8Array(0), true);
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
  return out;
}

function malformed(layerDigest: string, err: unknown): ScanError {
  if (err instanceof ScanError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ScanError('LAYER_MALFORMED', `layer ${layerDigest}: ${message}`);
}

/**
 * The layer's tar bytes. Errors on the returned stream are ScanErrors naming the layer.
 */
export function openLayerTar(body: Readable, layer: { digest: string }, limits: ScanLimits): Readable {
  const [algorithm, expected] = layer.digest.split(':');
  const hash = createHash(algorithm);
  let compressed = 0;
  let uncompressed = 0;
  const verify = new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      compressed += chunk.length;
      hash.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      const actual = hash.digest('hex');
      done(actual === expected ? null : new ScanError('DIGEST_MISMATCH', `layer ${layer.digest} has digest ${algorithm}:${actual}`));
    },
  });
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      uncompressed += chunk.length;
      if (uncompressed > limits.maxLayerBytes) {
        return done(new ScanError('LAYER_TOO_LARGE', `layer ${layer.digest} decompresses past ${limits.maxLayerBytes} bytes`));
      }
      if (uncompressed > limits.ratioGraceBytes && uncompressed > compressed * limits.maxCompressionRatio) {
        return done(new ScanError('LAYER_TOO_LARGE', `layer ${layer.digest} decompresses more than ${limits.maxCompressionRatio} times its compressed size`));
      }
      done(null, chunk);
    },
  });
  const decompress = async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    const it = source[Symbol.asyncIterator]();
    const first = await it.next();
    if (first.done) throw new ScanError('LAYER_MALFORMED', `layer ${layer.digest} is empty`);
    const head: Buffer = first.value;
    const decoder = startsWith(head, GZIP_MAGIC) ? createGunzip() : startsWith(head, ZSTD_MAGIC) ? zstdStream() : new PassThrough();
    const input = Readable.from(
      (async function* () {
        yield head;
        for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
      })(),
      { objectMode: false },
    );
    input.on('error', (err) => decoder.destroy(err));
    input.pipe(decoder);
    try {
      for await (const chunk of decoder) yield chunk as Buffer;
    } catch (err) {
      throw malformed(layer.digest, err);
    }
  };
  // pipeline destroys every stage with the first error, so the reader of `count` sees it.
  pipeline(body, verify, decompress, count, () => undefined);
  return count;
}
