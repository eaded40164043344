/**
 * The online garbage collector: deletes blobs nothing references, while pushes and pulls go on
 * (design and safety argument: docs/storage-lifecycle.md). One run, in four phases:
 *
 * 1. links: blob links no manifest of their repository references, old enough by the rules in
 *    GcCutoffs, are removed (batch by batch, each re-checked under the digests' locks); a digest
 *    left with no reference at all is tombstoned in the same transaction.
 * 2. blobs: the store is walked; bytes nothing references (a deleted repository's, an orphan of
 *    a crash) and old enough are tombstoned, again re-checked under lock.
 * 3. delete: every tombstone not yet carried out (this run's, and a crashed run's) is carried out
 *    in transactions of up to 50 that hold their digests' locks, re-check, delete the bytes and
 *    mark them done.
 * Between batches of every phase the collector paces itself (`pace`): it steps back while
 * requests keep the event loop busy, so pushes and pulls keep most of a single process.
 *    The decision was committed before (phases 1-2), so a crash here leaves tombstoned bytes
 *    that the next run deletes; never a reference to missing bytes.
 * 4. prune: tombstones of bytes deleted over a week ago are dropped.
 *
 * A dry run walks phases 1-2 without writing and reports what a run would free.
 * One collector at a time registry-wide (GcStore.exclusive); safety never depends on it.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Static } from 'typebox';
import type { Logger } from 'pino';
import type { Digest } from '../../oci/index.ts';
import type { BlobStore, StoredBlob } from '../../storage/blob-store.ts';
import type { CoreRoles, TransactionalStore } from '../../metadata/metadata-store.ts';
import type { LifecycleRoles } from '../store/index.ts';
import type { GcCutoffs, GcRunRecord } from './gc-store.ts';
import { purgeRecycled } from '../recycle-bin/purge.ts';
import type { GcSummary as GcSummarySchema } from './gc-schemas.ts';

export interface GcSettings {
  /** Unreferenced content is kept at least this long (released links and bytes). */
  gracePeriodMs: number;
  /** A link no manifest ever referenced, or bytes with no row, count as a push in progress this long at least. */
  inFlightMs: number;
}

/** A run's progress and result: the shape of its wire schema (./gc-schemas.ts), stored as JSON with the run. */
export type GcSummary = Static<typeof GcSummarySchema>;

export type GcStartResult = { started: true; run: GcRunRecord; done: Promise<GcRunRecord> } | { started: false; running?: GcRunRecord };

export interface Collector {
  /**
   * Starts a run unless one is running (here or on another node). Resolves as soon as the run
   * holds the collector lock; `done` resolves with the finished run (a failed one too).
   */
  start(options?: { dryRun?: boolean; gracePeriodMs?: number; retention?: boolean }): Promise<GcStartResult>;
  /** Newest runs first (any node's). */
  runs(n?: number): Promise<GcRunRecord[]>;
  /** Waits for this node's running run, if any. */
  idle(): Promise<void>;
}

type GcTarget = TransactionalStore<CoreRoles & LifecycleRoles>;

const LINK_PAGE = 50;
const BLOB_BATCH = 100;
const DELETE_BATCH = 50;
/** Deletions from the blob store in flight at once within a batch (the filesystem's thread pool has 4; S3 takes more). */
const DELETE_CONCURRENCY = 8;
const PRUNE_AFTER_MS = 7 * 24 * 3600 * 1000;

/**
 * Pacing (docs/storage-lifecycle.md "The walk and its cost"). After each batch the collector
 * sleeps PROBE_MS and reads how busy the event loop was meanwhile: the collector was asleep,
 * so that is other work (requests). Busy beyond TRAFFIC_UTILIZATION, it sleeps BACK_OFF times
 * as long as the batch took (at most MAX_PAUSE_MS): under traffic the collector takes about
 * 1 / (1 + BACK_OFF) of the time, a seventh; on an idle registry it runs at full speed. The
 * better-sqlite3 driver is synchronous, so without this a run holds a single process's
 * event loop for most of its batches (bench/README.md "Garbage collection").
 *
 * The batches are small for the same reason: on SQLite a batch's statements run back to back
 * without the event loop in between (each await resolves at once), so a batch is one hold of
 * the whole process. With pages of 50 links and 100 walked blobs the event loop's p99 in "on"
 * rounds was 21-24 ms, against 26-33 ms with 200 and 500 ("off" rounds 18-20 ms; 100,000 blobs,
 * load 1-2.5); the throughput kept was the same.
 */
const PROBE_MS = 2;
const TRAFFIC_UTILIZATION = 0.25;
const BACK_OFF = 6;
const MAX_PAUSE_MS = 500;

async function pace(batchStartedAt: number): Promise<void> {
  const workMs = performance.now() - batchStartedAt;
  const before = performance.eventLoopUtilization();
  await sleep(PROBE_MS);
  if (performance.eventLoopUtilization(before).utilization > TRAFFIC_UTILIZATION) await sleep(Math.min(workMs * BACK_OFF, MAX_PAUSE_MS));
}

export interface CollectorOptions {
  store: GcTarget;
  blobs: BlobStore;
  settings: GcSettings;
  logger: Logger;
  /** The clock (tests); milliseconds since the epoch. */
  now?: () => number;
  /** Untagged-manifest retention, run first by runs started with `retention: true` (the schedule's); returns how many manifests it deleted. */
  retention?: () => Promise<number>;
  /** Called with each finished run's summary (metrics). */
  onFinished?: (run: GcRunRecord) => void;
}

export function createCollector(options: CollectorOptions): Collector {
  const { store, blobs, logger } = options;
  const now = options.now ?? Date.now;
  let running: Promise<unknown> | undefined;

  async function collect(id: string, dryRun: boolean, gracePeriodMs: number, retention: boolean): Promise<GcSummary> {
    const started = now();
    const s: GcSummary = { dryRun, gracePeriodSeconds: gracePeriodMs / 1000, phase: 'links', manifestsDeleted: 0, recycledPurged: 0, linksRemoved: 0, blobsScanned: 0, blobsDeleted: 0, bytesFreed: 0, toDelete: 0, durationMs: 0 };
    let lastReport = 0;
    const report = async (force = false) => {
      s.durationMs = now() - started;
      if (!force && now() - lastReport < 1000) return;
      lastReport = now();
      await store.gc.progressRun(id, s);
    };

    // 0. Retention first (under the collector lock, so one node applies it).
    if (retention && !dryRun && options.retention) {
      s.phase = 'retention';
      s.manifestsDeleted = await options.retention();
      s.phase = 'links';
    }

    // 0b. Expired recycle-bin entries are purged (their blobs released), so that this run can
    // free them with the rest; a dry run counts them.
    s.phase = 'recycle-bin';
    s.recycledPurged = await expireRecycleBin(dryRun);
    s.phase = 'links';
    // The cut-offs after phase 0: what it released counts as released now.
    const at = now();
    const cutoffs: GcCutoffs = { released: at - gracePeriodMs, unreferenced: at - Math.max(gracePeriodMs, options.settings.inFlightMs) };

    // 1. Dangling links. A dry run remembers them to tell which digests removing them would free.
    const wouldUnlink = new Map<Digest, { size: number; links: number }>();
    let after: readonly [string, string] | undefined;
    for (;;) {
      const batchStartedAt = performance.now();
      const page = await store.gc.danglingLinks({ cutoffs, limit: LINK_PAGE, ...(after ? { after } : {}) });
      if (page.length === 0) break;
      after = [page.at(-1)!.repository, page.at(-1)!.digest];
      if (dryRun) {
        for (const l of page) {
          const w = wouldUnlink.get(l.digest) ?? { size: l.size, links: 0 };
          w.links++;
          wouldUnlink.set(l.digest, w);
        }
        s.linksRemoved += page.length;
      } else {
        s.linksRemoved += await store.transaction(async (tx) => {
          await tx.gc.lock(page.map((l) => l.digest));
          let removed = 0;
          const freed = new Map<Digest, number>();
          // Re-checked under the lock, the whole page in one statement: a manifest pushed
          // meanwhile references some of them now.
          for (const l of await tx.gc.danglingLinks({ cutoffs, limit: page.length, among: page })) {
            await tx.gc.removeLink(l.repository, l.digest);
            freed.set(l.digest, l.size);
            removed++;
          }
          const nothingLeft = await tx.gc.unreferenced([...freed.keys()]);
          await tx.gc.tombstone([...nothingLeft].map((digest) => ({ digest, size: freed.get(digest)! })));
          return removed;
        });
      }
      await report();
      await pace(batchStartedAt);
    }
    if (dryRun) {
      const digests = [...wouldUnlink.keys()];
      for (let i = 0; i < digests.length; i += BLOB_BATCH) {
        const batch = digests.slice(i, i + BLOB_BATCH);
        const [noOther, counts] = await Promise.all([store.gc.unreferenced(batch, { ignoreLinks: true }), store.gc.linkCounts(batch)]);
        for (const d of batch) {
          const w = wouldUnlink.get(d)!;
          if (noOther.has(d) && counts.get(d) === w.links) {
            s.blobsDeleted++;
            s.bytesFreed += w.size;
          }
        }
      }
    }

    // 2. The store's bytes that nothing references.
    s.phase = 'blobs';
    const seen = new Set<Digest>(dryRun ? [...wouldUnlink.keys()] : []);
    let batch: StoredBlob[] = [];
    const flush = async () => {
      const listed = batch;
      batch = [];
      const digests = listed.map((b) => b.digest);
      const [unreferenced, tombstoned] = await Promise.all([store.gc.unreferenced(digests), store.gc.tombstoned(digests)]);
      const marked = new Set(tombstoned);
      const released = await store.gc.releasedAt([...unreferenced]);
      const collectable = listed.filter((b) => {
        if (!unreferenced.has(b.digest) || marked.has(b.digest)) return false;
        const r = released.get(b.digest);
        // Released bytes go after the grace period, unless written again since the release
        // (that is a push in progress, like bytes with no row at all).
        if (r !== undefined && r <= cutoffs.released && r >= b.modifiedAt.getTime()) return true;
        return b.modifiedAt.getTime() <= cutoffs.unreferenced;
      });
      if (dryRun) {
        for (const b of collectable) {
          if (seen.has(b.digest)) continue;
          s.blobsDeleted++;
          s.bytesFreed += b.size;
        }
        for (const b of listed) if (marked.has(b.digest) && !seen.has(b.digest)) (s.blobsDeleted++, (s.bytesFreed += b.size));
        return;
      }
      const referenced = digests.filter((d) => !unreferenced.has(d));
      await store.transaction(async (tx) => {
        if (collectable.length > 0) {
          await tx.gc.lock(collectable.map((b) => b.digest));
          const still = await tx.gc.unreferenced(collectable.map((b) => b.digest));
          const doomed = collectable.filter((b) => still.has(b.digest));
          await tx.gc.tombstone(doomed.map((b) => ({ digest: b.digest, size: b.size })));
          await tx.gc.forgetReleases(doomed.map((b) => b.digest));
        }
        // Release rows of digests referenced again serve nothing (no link needs them).
        await tx.gc.forgetReleases(referenced);
      });
    };
    let batchStartedAt = performance.now();
    for await (const blob of blobs.list()) {
      s.blobsScanned++;
      batch.push(blob);
      if (batch.length >= BLOB_BATCH) {
        await flush();
        await report();
        await pace(batchStartedAt);
        batchStartedAt = performance.now();
      }
    }
    if (batch.length > 0) await flush();
    if (dryRun) {
      s.phase = 'done';
      s.durationMs = now() - started;
      return s;
    }

    // 3. Carry out every tombstone, each under its lock, re-checked.
    s.phase = 'delete';
    s.toDelete = await store.gc.countPendingTombstones();
    await report(true);
    let cursor: Digest | undefined;
    for (;;) {
      const pending = await store.gc.pendingTombstones(100, cursor);
      if (pending.length === 0) break;
      cursor = pending.at(-1)!.digest;
      // DELETE_BATCH tombstones per transaction (one lock round, one re-check query, one
      // commit) instead of one transaction per blob: on SQLite every transaction takes the one
      // connection that every request's queries wait for (bench/README.md "Garbage collection").
      // The bytes of a batch go DELETE_CONCURRENCY at a time, all settled before the commit (the
      // transaction, and on SQLite every request's queries, wait for them: one at a time they
      // held it for tens of ms per batch). A crash mid-batch leaves bytes gone whose tombstones
      // are not marked done (the whole batch rolls back), which the next run marks, as after any
      // crash here.
      for (let i = 0; i < pending.length; i += DELETE_BATCH) {
        const batchStartedAt = performance.now();
        const batch = pending.slice(i, i + DELETE_BATCH);
        const freed = await store.transaction(async (tx) => {
          await tx.gc.lock(batch.map((t) => t.digest));
          const still = await tx.gc.unreferenced(batch.map((t) => t.digest));
          const doomed: typeof batch = [];
          for (const t of batch) {
            const current = await tx.gc.getTombstone(t.digest);
            if (!current || current.deletedAt) continue; // a claim saved it, or done
            if (!still.has(t.digest)) await tx.gc.forgetTombstone(t.digest);
            else doomed.push(t);
          }
          const deleted = await deleteAll(doomed.map((t) => t.digest));
          for (const t of doomed) await tx.gc.markDeleted(t.digest);
          return doomed.map((t, k) => (deleted[k] ? t.size : 0));
        });
        for (const size of freed) {
          s.blobsDeleted++;
          s.bytesFreed += size;
        }
        await report();
        await pace(batchStartedAt);
      }
    }

    // 4. Tombstones kept a week after the deletion (a claim in flight that long is impossible).
    s.phase = 'prune';
    await store.gc.pruneTombstones(new Date(now() - PRUNE_AFTER_MS));
    s.phase = 'done';
    s.durationMs = now() - started;
    return s;
  }

  /**
   * Deletes the bytes of `digests`, DELETE_CONCURRENCY at a time; whether each existed. Every
   * deletion has settled when this returns or throws: none may outlive the transaction (and its
   * lock) it runs under, or it could remove bytes a push claimed after the rollback.
   */
  async function deleteAll(digests: Digest[]): Promise<boolean[]> {
    const out: boolean[] = [];
    for (let i = 0; i < digests.length; i += DELETE_CONCURRENCY) {
      const settled = await Promise.allSettled(digests.slice(i, i + DELETE_CONCURRENCY).map((d) => blobs.delete(d)));
      for (const r of settled) {
        if (r.status === 'rejected') throw r.reason;
        out.push(r.value);
      }
    }
    return out;
  }

  /** Purges every recycle-bin entry expired by the run's clock (each re-read in its transaction); returns how many. */
  async function expireRecycleBin(dryRun: boolean): Promise<number> {
    const clock = new Date(now());
    if (dryRun) return store.recycleBin.countExpired(clock);
    let purged = 0;
    for (;;) {
      const page = await store.recycleBin.expired(clock, 100);
      if (page.length === 0) return purged;
      for (const e of page) {
        purged += await store.transaction(async (tx) => {
          const current = await tx.recycleBin.get(e.repository, e.digest);
          // Restored, or deleted again (a newer entry with a later expiry) meanwhile: not this one.
          if (!current || current.expiresAt.getTime() > clock.getTime() || !(await purgeRecycled(tx, current))) return 0;
          await tx.audit.append({ actor: 'gc', action: 'recycle-bin.expire', target: `${e.repository}@${e.digest}`, details: { deletedAt: e.deletedAt.toISOString(), deletedBy: e.deletedBy, expiresAt: e.expiresAt.toISOString() } });
          return 1;
        });
      }
    }
  }

  return {
    async start(opts = {}) {
      const dryRun = opts.dryRun ?? false;
      const gracePeriodMs = opts.gracePeriodMs ?? options.settings.gracePeriodMs;
      if (running) return { started: false, ...(await runningRun()) };
      let announce!: (r: GcStartResult) => void;
      const announced = new Promise<GcStartResult>((resolve) => (announce = resolve));
      const id = randomUUID();
      let finish!: (run: GcRunRecord) => void;
      const done = new Promise<GcRunRecord>((resolve) => (finish = resolve));
      const work = store.gc
        .exclusive(async () => {
          await store.gc.startRun({ id, dryRun, gracePeriodMs });
          announce({ started: true, run: (await store.gc.runs(1))[0]!, done });
          let outcome: { status: 'done' | 'failed'; summary?: unknown; error?: string };
          try {
            outcome = { status: 'done', summary: await collect(id, dryRun, gracePeriodMs, opts.retention ?? false) };
          } catch (err) {
            logger.error({ err, run: id }, 'garbage collection failed');
            outcome = { status: 'failed', error: (err as Error).message };
          }
          await store.gc.finishRun(id, outcome);
        })
        .then(async (r) => {
          if (!r.ran) return announce({ started: false, ...(await runningRun()) });
          const run = (await store.gc.runs(5)).find((x) => x.id === id)!;
          if (run.status === 'done') logger.info({ run: id, summary: run.summary }, 'garbage collection finished');
          options.onFinished?.(run);
          // Idle before anyone hears of the end: a caller may start the next run at once.
          if (running === work) running = undefined;
          finish(run);
        })
        .catch((err) => {
          logger.error({ err }, 'garbage collection could not run');
          announce({ started: false });
        })
        .finally(() => {
          if (running === work) running = undefined;
        });
      running = work;
      return announced;
    },
    runs: (n = 20) => store.gc.runs(n),
    async idle() {
      await running;
    },
  };

  async function runningRun(): Promise<{ running?: GcRunRecord }> {
    const r = (await store.gc.runs(5)).find((x) => x.status === 'running');
    return r ? { running: r } : {};
  }
}
