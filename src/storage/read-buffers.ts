/**
 * Reused read buffers for blob pulls (bench/README.md, "Pull memory").
 *
 * Why: a pull read its file in 256 KiB buffers, each allocated fresh outside the V8 heap and
 * freed only when a garbage collection found its Buffer dead. V8 collects for external memory
 * only after tens of MiB of it, so four concurrent 64 MiB pulls held ~30-45 MiB of dead read
 * buffers at their peak. Here a pull reads into buffers taken from one small process-wide pool
 * and the response gives each back once it has been written, so the same few buffers go round.
 *
 * The rule that keeps it exact: a buffer goes back to the pool only when it is certain that
 * nothing will read it again, that is when the response has handed it to the kernel. A buffer
 * whose fate is unknown (the response failed or was destroyed, a consumer that is not a direct
 * pipe into the response, a small blob the verifier concatenated) is never given back: the
 * garbage collector frees it as before. Reusing a buffer too early would send other bytes than
 * the ones the running digest check hashed, so every doubt falls on the side of not reusing.
 */
import { Readable, Transform, type Writable } from 'node:stream';
import type { FileHandle } from 'node:fs/promises';
import { READ_HIGH_WATER_MARK } from './fs-io.ts';

/** Size of one read and of a pooled buffer. */
const READ_CHUNK_BYTES = READ_HIGH_WATER_MARK;

/**
 * Free buffers the pool keeps (8 MiB). Four concurrent pulls have ~5 buffers each in flight
 * (read ahead, the verifier's held-back chunk, the stream buffers, the socket write): a bound
 * above that serves them all without allocating, and is what an idle registry keeps after pulls.
 */
export const POOL_FREE_BUFFERS = 32;

/**
 * Spans up to this size are read with exact-size buffers and never pooled: a blob of at most
 * 1 MiB is read whole and concatenated by the verifier before sending (src/storage/verified-read.ts),
 * so its buffers would never come back and would only drain the pool.
 */
const POOLED_SPAN_BYTES = 4 * READ_CHUNK_BYTES;

class ReadBufferPool {
  private readonly free: ArrayBuffer[] = [];
  /** Buffers this pool made: only they are ever taken back. */
  private readonly own = new WeakSet<ArrayBuffer>();
  private readonly isFree = new WeakSet<ArrayBuffer>();
  /** Counters for tests and bench/: reads into a reused or a new buffer, buffers given back. */
  readonly stats = { reused: 0, allocated: 0, givenBack: 0 };

  take(): Buffer {
    const ab = this.free.pop();
    if (ab) {
      this.isFree.delete(ab);
      this.stats.reused++;
      return Buffer.from(ab, 0, READ_CHUNK_BYTES);
    }
    this.stats.allocated++;
    const buf = Buffer.allocUnsafeSlow(READ_CHUNK_BYTES);
    this.own.add(buf.buffer);
    return buf;
  }

  /** Gives back the buffer under `chunk`; anything the pool did not make is ignored. */
  giveBack(chunk: Buffer): void {
    const ab = chunk.buffer as ArrayBuffer;
    if (!this.own.has(ab) || this.isFree.has(ab) || this.free.length >= POOL_FREE_BUFFERS) return;
    this.stats.givenBack++;
    this.isFree.add(ab);
    this.free.push(ab);
  }

  get freeCount(): number {
    return this.free.length;
  }
}

export const readBuffers = new ReadBufferPool();

/**
 * A Readable of bytes `start`..`end` (inclusive) of an open file; it closes the handle when it
 * ends or is destroyed. Full-size reads of a large span use pooled buffers; the last, shorter
 * read and small spans get a buffer of their exact size. Stops early at end of file, as
 * fs.createReadStream does (the caller's size and digest checks notice a short file).
 */
export function pooledFileReader(fh: FileHandle, start: number, end: number): Readable {
  let position = start;
  const pooled = end - start + 1 > POOLED_SPAN_BYTES;
  return new Readable({
    highWaterMark: READ_CHUNK_BYTES,
    read() {
      const length = Math.min(READ_CHUNK_BYTES, end - position + 1);
      if (length <= 0) {
        this.push(null);
        return;
      }
      const buffer = pooled && length === READ_CHUNK_BYTES ? readBuffers.take() : Buffer.allocUnsafeSlow(length);
      fh.read(buffer, 0, length, position).then(
        ({ bytesRead }) => {
          if (bytesRead === 0) {
            this.push(null);
            return;
          }
          position += bytesRead;
          this.push(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead));
        },
        (err: Error) => this.destroy(err),
      );
    },
    destroy(err, done) {
      // FileHandle.close waits for a read still in flight.
      fh.close().then(
        () => done(err),
        (closeErr: Error) => done(err ?? closeErr),
      );
    },
  });
}

/**
 * The last stage before `dest` (an HTTP response): passes chunks through unchanged and gives
 * each pooled buffer back once `dest` has written it to the kernel.
 *
 * How it knows: only while this stage is piped straight into `dest` (its 'pipe' event) and that
 * pipe is its only 'data' consumer. Readable.pipe writes a chunk to the destination in the same
 * synchronous step that takes it from this stage's buffer, so the bytes that left the buffer
 * (pushed - readableLength) are exactly the bytes written to `dest`; and when `dest.writableLength`
 * is 0 every write handed to it has completed (the socket's write callbacks ran). Checked on each
 * new chunk, on 'drain' and on 'finish'. Another consumer, an unpipe, an error or a response
 * closed before it finished stop it for good: what is pending is left to the garbage collector.
 */
export function givesBuffersBack(dest: Writable): Transform {
  const pending: { chunk: Buffer; end: number }[] = [];
  let pushed = 0;
  let piped = false;
  let stopped = false;
  const stop = () => {
    stopped = true;
    pending.length = 0;
  };
  const sweep = () => {
    if (!piped || stopped || pending.length === 0 || dest.destroyed || dest.writableLength !== 0) return;
    const written = pushed - stage.readableLength;
    while (pending.length > 0 && pending[0]!.end <= written) readBuffers.giveBack(pending.shift()!.chunk);
  };
  const stage = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sweep();
      pushed += chunk.length;
      pending.push({ chunk, end: pushed });
      done(null, chunk);
    },
  });
  const onPipe = (source: unknown) => {
    // pipe adds its 'data' listener before it emits 'pipe': exactly one means it is the only one.
    if (source === stage && !stopped) {
      if (stage.listenerCount('data') === 1) piped = true;
      else stop();
    }
  };
  const onUnpipe = (source: unknown) => {
    if (source === stage) stop();
  };
  stage.on('newListener', (event) => {
    if (piped && event === 'data') stop();
  });
  stage.once('error', stop);
  dest.on('pipe', onPipe);
  dest.on('drain', sweep);
  // Registered before pipe's own 'finish' listener (which unpipes), so it runs first.
  dest.once('finish', sweep);
  dest.on('unpipe', onUnpipe);
  dest.once('error', stop);
  dest.once('close', () => {
    if (!dest.writableFinished) stop();
    dest.off('pipe', onPipe);
    dest.off('drain', sweep);
    dest.off('unpipe', onUnpipe);
  });
  return stage;
}
