/**
 * Readiness (GET /readyz): may a load balancer send this node traffic? Unlike /healthz
 * (liveness: the process answers), it checks every dependency a request needs and reports each:
 * - database: a round trip (`select 1`);
 * - blobStore: a write-read-delete probe of a small unique blob through the BlobStore contract
 *   (so it works for every driver); a success is trusted for `blobProbeCacheSeconds`, a failure
 *   never is (the node comes back as soon as the store does);
 * - migrations: the database's applied migrations are exactly the ones this version knows
 *   (pending ones: the node has not migrated; unknown ones: a newer version migrated it).
 * Checks run in parallel, each bounded by a timeout, so a hung dependency answers "not ready"
 * instead of hanging the probe.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { MetadataStore } from '../persistence/index.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { digestOf } from '../oci/index.ts';
import { KNOWN_MIGRATIONS } from '../persistence/index.ts';

export interface CheckResult {
  ok: boolean;
  error?: string;
  [detail: string]: unknown;
}

export interface ReadinessReport {
  ready: boolean;
  checks: { database: CheckResult; blobStore: CheckResult; migrations: CheckResult };
}

export interface Readiness {
  check(): Promise<ReadinessReport>;
}

const CHECK_TIMEOUT_MS = 5000;

async function bounded(name: string, fn: () => Promise<Omit<CheckResult, 'ok'> | void>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const detail = await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${name} did not answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { ok: true, ...(detail ?? {}) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Writes, reads back and deletes one small unique blob; throws with what went wrong. */
export async function probeBlobStore(blobs: BlobStore): Promise<void> {
  const bytes = Buffer.from(`lazaret readiness probe ${randomUUID()}`);
  const digest = digestOf(bytes);
  await blobs.put(digest, Readable.from([bytes]), bytes.length);
  try {
    const stream = await blobs.open(digest);
    if (!stream) throw new Error('the probe blob was written but cannot be opened');
    if (!(await readAll(stream)).equals(bytes)) throw new Error('the probe blob read back different bytes');
  } finally {
    await blobs.delete(digest);
  }
}

export function createReadiness(options: { store: MetadataStore; blobs: BlobStore; blobProbeCacheSeconds: number }): Readiness {
  const { store, blobs } = options;
  let blobOkUntil = 0;
  let probing: Promise<CheckResult> | undefined;

  const blobCheck = async (): Promise<CheckResult> => {
    if (Date.now() < blobOkUntil) return { ok: true, cached: true };
    // Concurrent probes share one write-read-delete (a flood of /readyz is one probe).
    probing ??= bounded('the blob store', () => probeBlobStore(blobs)).then((r) => {
      if (r.ok) blobOkUntil = Date.now() + options.blobProbeCacheSeconds * 1000;
      return r;
    }).finally(() => (probing = undefined));
    return probing;
  };

  return {
    async check() {
      const [database, blobStore, migrations] = await Promise.all([
        bounded('the database', async () => {
          await store.operations.ping();
          return { dialect: store.dialect };
        }),
        blobCheck(),
        bounded('the database', async () => {
          const applied = await store.operations.appliedMigrations();
          const known = new Set(KNOWN_MIGRATIONS);
          const unknown = applied.filter((m) => !known.has(m));
          const pending = KNOWN_MIGRATIONS.filter((m) => !applied.includes(m));
          if (unknown.length) throw new Error(`migrated by a newer version (unknown migrations: ${unknown.join(', ')})`);
          if (pending.length) throw new Error(`migrations pending: ${pending.join(', ')}`);
          return { current: KNOWN_MIGRATIONS.at(-1) };
        }),
      ]);
      return { ready: database.ok && blobStore.ok && migrations.ok, checks: { database, blobStore, migrations } };
    },
  };
}
