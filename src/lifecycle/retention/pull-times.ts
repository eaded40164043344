/**
 * The pull-time recorder: a manifest GET notes (repository, digest, now) in memory on this node,
 * and the notes are written in batches every `flushEveryMs` (30 s by default) and at shutdown.
 * So a pull costs a Map update, never a database write; a busy tag pulled 10,000 times between
 * two flushes is one row write.
 *
 * Memory is bounded: at most `maxEntries` distinct (repository, digest) pairs wait at once. At
 * the bound a flush starts at once; pairs new to this interval that arrive while it runs are
 * dropped (counted in `dropped`, logged), which can only make a tag look less recently pulled
 * than it was, for one interval. Times already noted keep being updated in place.
 */
import type { Logger } from 'pino';
import type { Digest } from '../../oci/index.ts';
import { MAX_PULL_BATCH, type PullTime, type PullTimeStore } from './pull-time-store.ts';

export interface PullTimeRecorder {
  /** Notes a pull (the registry service's manifest GET). Never throws, never waits. */
  pulled(repository: string, digest: Digest): void;
  /** Writes what is noted now (tests; shutdown). */
  flush(): Promise<void>;
  start(): void;
  /** Stops the timer and writes what is left. */
  stop(): Promise<void>;
  /** Pulls not noted since the start because the bound was reached during a flush. */
  readonly dropped: number;
}

export interface PullTimeRecorderOptions {
  store: () => PullTimeStore;
  logger: Logger;
  flushEveryMs?: number;
  maxEntries?: number;
  now?: () => number;
}

export function createPullTimeRecorder(options: PullTimeRecorderOptions): PullTimeRecorder {
  const flushEveryMs = options.flushEveryMs ?? 30_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  let noted = new Map<string, PullTime>();
  let flushing: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let dropped = 0;
  let unlogged = 0;

  async function write(batch: PullTime[]) {
    for (let i = 0; i < batch.length; i += MAX_PULL_BATCH) await options.store().record(batch.slice(i, i + MAX_PULL_BATCH));
  }

  function flush(): Promise<void> {
    if (flushing) return flushing.then(() => (noted.size > 0 ? flush() : undefined));
    if (noted.size === 0) return Promise.resolve();
    const batch = [...noted.values()];
    noted = new Map();
    flushing = write(batch)
      .catch((err) => options.logger.warn({ err, pulls: batch.length }, 'could not record pull times (retention may see these tags as not pulled)'))
      .finally(() => {
        flushing = undefined;
        if (unlogged > 0) {
          options.logger.warn({ dropped: unlogged }, 'pull times dropped: more distinct manifests pulled between two flushes than the recorder keeps');
          unlogged = 0;
        }
      });
    return flushing;
  }

  return {
    pulled(repository, digest) {
      const key = `${repository}\0${digest}`;
      const entry = noted.get(key);
      if (entry) {
        entry.pulledAt = now();
        return;
      }
      if (noted.size >= maxEntries) {
        if (flushing) {
          dropped++;
          unlogged++;
          return;
        }
        void flush();
      }
      noted.set(key, { repository, digest, pulledAt: now() });
    },
    flush,
    start() {
      if (timer) return;
      timer = setInterval(() => void flush(), flushEveryMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await flush();
    },
    get dropped() {
      return dropped;
    },
  };
}
