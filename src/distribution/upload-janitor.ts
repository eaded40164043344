/**
 * The upload janitor: removes upload sessions idle for longer than
 * `config.uploads.staleAfterSeconds` (never-written ones after
 * `uploads.untouchedStaleAfterSeconds`), metadata and temp bytes both, and temp data no session
 * owns any more (left by a crash or a killed client mid-`put`). It sweeps once at start (after a
 * crash, that is when the leftovers are) and then every half stale-period, at most every 10 min.
 */
import type { Logger } from 'pino';
import type { MetadataStore } from '../persistence/index.ts';
import type { BlobStore } from '../storage/blob-store.ts';

export interface UploadJanitorOptions {
  store: MetadataStore;
  blobs: BlobStore;
  staleAfterSeconds: number;
  /** Sessions that never received a byte go after this (default: staleAfterSeconds). */
  untouchedStaleAfterSeconds?: number;
  logger: Logger;
  /** Sweep period; defaults to half the stale period, capped at 10 minutes. */
  intervalMs?: number;
}

export interface UploadJanitor {
  start(): void;
  /** Stops the timer and waits for a running sweep. */
  stop(): Promise<void>;
  /** One sweep; returns how many sessions or orphaned temp files it removed. */
  sweep(now?: Date): Promise<number>;
}

export function createUploadJanitor(options: UploadJanitorOptions): UploadJanitor {
  const { store, blobs, logger } = options;
  const staleMs = options.staleAfterSeconds * 1000;
  const untouchedMs = Math.min(staleMs, (options.untouchedStaleAfterSeconds ?? options.staleAfterSeconds) * 1000);
  const intervalMs = options.intervalMs ?? Math.min(untouchedMs / 2, 10 * 60 * 1000);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();

  async function sweep(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - staleMs);
    let removed = 0;
    const staleFiles = new Set(await blobs.uploads.listStale(before));
    for (const session of await store.uploads.listStale(before)) {
      // A session's record is touched when a chunk ENDS; a long chunk still streaming keeps
      // its temp file fresh, and that upload is alive.
      if (!staleFiles.has(session.id) && (await blobs.uploads.size(session.id)) !== undefined) continue;
      await blobs.uploads.abort(session.id);
      await store.uploads.delete(session.id);
      staleFiles.delete(session.id);
      removed++;
    }
    for (const id of staleFiles) {
      const session = await store.uploads.get(id);
      // A session touched recently is alive even if its file is old (e.g. a status poll).
      if (session && session.updatedAt.getTime() >= before.getTime()) continue;
      await blobs.uploads.abort(id);
      if (session) await store.uploads.delete(id);
      removed++;
    }
    // Sessions opened and never written to (a client that went away, or a flood of POSTs)
    // go sooner: they hold a row and a temp file and stand for no work in progress.
    if (untouchedMs < staleMs) {
      for (const session of await store.uploads.listStale(new Date(now.getTime() - untouchedMs))) {
        if (session.size > 0 || session.updatedAt.getTime() !== session.createdAt.getTime()) continue;
        if (((await blobs.uploads.size(session.id)) ?? 0) > 0) continue;
        await blobs.uploads.abort(session.id);
        await store.uploads.delete(session.id);
        removed++;
      }
    }
    if (removed > 0) logger.info({ removed }, 'removed stale upload sessions');
    return removed;
  }

  const tick = () => {
    running = sweep().catch((err) => logger.error({ err }, 'upload janitor sweep failed'));
  };

  return {
    start() {
      if (timer) return;
      tick();
      timer = setInterval(tick, intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
    sweep,
  };
}
