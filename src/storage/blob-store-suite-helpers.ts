/** Shared pieces of the BlobStore conformance suite (blob-store-suite.ts). */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BlobStore } from './blob-store.ts';
import type { Digest } from '../oci/index.ts';
import { StorageError, type StorageErrorKind } from './errors.ts';

export interface BlobStoreFixture {
  store: BlobStore;
  /** A second store instance on the same storage, with no in-process state (a restart). */
  reopen?(): BlobStore;
  /** Anything in the backing storage that is neither a committed blob nor an upload's data. */
  strayEntries?(): Promise<string[]>;
  destroy(): Promise<void>;
}

export interface BlobStoreSuiteOptions {
  name: string;
  create(): Promise<BlobStoreFixture>;
}

export interface BlobSuiteContext {
  /** Runs `fn` on a fresh fixture, then checks hygiene and destroys it. `keepUploads`: ids the test leaves open on purpose. */
  withStore(fn: (fixture: BlobStoreFixture, keep: Set<string>) => Promise<void>): Promise<void>;
}

export const bytes = (text: string) => Buffer.from(text);
export const streamOf = (...chunks: (string | Buffer)[]) => Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));

/** A stream that yields some bytes, then fails (a client that disconnects mid-body). */
export function failingStream(first: Buffer): Readable {
  return Readable.from(
    (async function* () {
      yield first;
      await sleep(1);
      throw new Error('client went away');
    })(),
  );
}

export async function readAll(stream: Readable | undefined): Promise<Buffer> {
  assert.ok(stream, 'expected a stream');
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export function isStorageError(kind: StorageErrorKind) {
  return (err: unknown) => {
    assert.ok(err instanceof StorageError, `expected StorageError ${kind}, got ${String(err)}`);
    assert.equal(err.kind, kind);
    return true;
  };
}

/** Deterministic pseudo-random bytes (incompressible, no whole-blob literal in the test). */
export function pseudoRandom(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(String(seed)).digest();
  for (let i = 0; i < size; i += block.length) {
    block.copy(out, i, 0, Math.min(block.length, size - i));
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

export const BAD_DIGESTS = [
  'sha256:../../../../etc/passwd',
  `sha256:${'A'.repeat(64)}`,
  `sha256:${'a'.repeat(63)}`,
  `md5:${'a'.repeat(32)}`,
  '../sha256/aa',
  '',
] as Digest[];

