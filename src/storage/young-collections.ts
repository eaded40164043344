/**
 * A young-generation collection (a scavenge) after every few MiB of blob bytes received.
 *
 * Why (bench/README.md issue 15, "The 64 MiB push"): Node hands an HTTP request's body over in
 * 64 KiB buffers allocated per socket read, outside the V8 heap, and a buffer's memory is freed
 * only when a collection finds its Buffer object dead. A push allocates little JavaScript, so
 * the 1 MiB young generation fills slowly and scavenges are far apart: between two of them tens
 * of MiB of request chunks, long dead, stay resident (two concurrent 64 MiB pushes peaked at
 * 116-127 MiB). A scavenge every 4 MiB received frees them while they are still young: the same
 * pushes peaked at 96-99 MiB, and the CPU per MB pushed halved (freed chunks are reused by malloc
 * instead of fresh pages being faulted in). A scavenge of a 1 MiB young generation takes well
 * under a millisecond; 16 of them per 64 MiB are a small part of hashing and writing it.
 *
 * The collector is V8's `gc`, which Node exposes only with `--expose-gc`: the flag is set at run
 * time and the function taken from a fresh context, so the registry's own global scope gets no
 * `gc`. Where that fails (another engine, a V8 that refuses the option), nothing is collected
 * and pushes behave as before.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const RECEIVED_BYTES_PER_COLLECTION = 4 * 1024 * 1024;

export type Collect = () => void;

/** V8's young-generation collection, or undefined where it cannot be had. */
export function youngCollector(): Collect | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    if (typeof gc !== 'function') return undefined;
    return () => (gc as (options: object) => void)({ type: 'minor', execution: 'sync' });
  } catch {
    return undefined;
  }
}

/**
 * Counts received bytes and collects after every `bytesPerCollection` of them. The collector is
 * obtained on the first collection; one that throws is dropped (nothing is collected after).
 */
export function collectionPacer(bytesPerCollection: number, collector: () => Collect | undefined): (bytes: number) => void {
  let since = 0;
  let collect: Collect | undefined | null = null; // null: not obtained yet
  return (bytes) => {
    since += bytes;
    if (since < bytesPerCollection) return;
    since = 0;
    if (collect === null) collect = collector();
    if (!collect) return;
    try {
      collect();
    } catch {
      collect = undefined;
    }
  };
}

/** The process-wide pacer of blob bytes received (all uploads together). */
export const blobBytesReceived = collectionPacer(RECEIVED_BYTES_PER_COLLECTION, youngCollector);
