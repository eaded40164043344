/**
 * Reads each scanner's /api/v1/metadata on registration and periodically: health (reachable,
 * usable metadata), capabilities, and `vulnerability-database-updated-at`. When that time moves
 * forward, the manifests this scanner scanned with an older database are queued again
 * (`db-update` jobs pinned to the scanner), so findings follow the data; a rescan that finds
 * the same as before changes nothing visible (no new event), one that differs gets a new
 * report and a `scan` event (dispatcher.ts).
 *
 * An unreachable scanner is re-checked sooner (every 5 s, up to the interval) so jobs resume
 * quickly when it comes back.
 */
import type { Logger } from 'pino';
import type { ScanStore as MetadataStore } from './store/index.ts';
import type { Digest } from '../oci/index.ts';
import { AdapterError } from './adapter-client.ts';
import { DB_UPDATED_AT } from './harbor-api.ts';
import { clientFor } from './scanner-choice.ts';
import { queueScan } from './scan-lifecycle.ts';
import type { ScannerRecord } from './scanner-store.ts';

const RESCAN_BATCH = 200;
const UNREACHABLE_RECHECK_MS = 5_000;

export interface ScannerHealthMonitor {
  /** Reads one scanner's metadata now and records the result (registration, `scanner check`). */
  check(name: string): Promise<ScannerRecord | undefined>;
  /**
   * Re-reads the metadata of enabled scanners last checked (by any node) more than
   * `olderThanMs` ago, waiting at most `waitMs` for the answers; a slower check goes on and is
   * recorded when it ends. For listings: a database time or health seen by a person should be
   * seconds old, not up to the 60 s interval.
   */
  refreshStale(olderThanMs: number, waitMs: number): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export function createScannerHealthMonitor(options: {
  store: MetadataStore;
  logger: Logger;
  intervalMs: number;
  requestTimeoutMs: number;
  /** Called when jobs were queued (db-update rescans) or a scanner became usable. */
  onChange: () => void;
}): ScannerHealthMonitor {
  const { store, logger } = options;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;
  const lastCheck = new Map<string, number>();

  async function queueDbRescans(s: ScannerRecord, dbTime: Date) {
    let queued = 0;
    for (;;) {
      const stale = await store.scanJobs.staleResults(s.name, dbTime, RESCAN_BATCH);
      if (stale.length === 0) break;
      let added = 0;
      await store.transaction(async (tx) => {
        for (const m of stale) if (await queueScan(tx, m.repository, m.digest as Digest, 'db-update', undefined, s.name)) added++;
      });
      queued += added;
      if (added === 0 || stale.length < RESCAN_BATCH) break;
    }
    if (queued > 0) logger.info({ scanner: s.name, queued, dbUpdatedAt: dbTime.toISOString() }, 'scanner database updated: rescans queued');
  }

  async function check(name: string): Promise<ScannerRecord | undefined> {
    const s = await store.scanners.get(name);
    if (!s) return undefined;
    lastCheck.set(name, Date.now());
    const at = new Date();
    try {
      const metadata = await clientFor(s, options.requestTimeoutMs).metadata();
      const raw = metadata.properties?.[DB_UPDATED_AT];
      const dbTime = raw && Number.isFinite(Date.parse(raw)) ? new Date(Date.parse(raw)) : undefined;
      const updated = await store.scanners.setHealth(name, { health: 'healthy', metadata, ...(dbTime ? { dbUpdatedAt: dbTime } : {}), at });
      if (s.health !== 'healthy') options.onChange();
      if (dbTime && s.dbUpdatedAt && dbTime.getTime() > s.dbUpdatedAt.getTime()) {
        await queueDbRescans(s, dbTime);
        options.onChange();
      }
      return updated;
    } catch (err) {
      const kind = err instanceof AdapterError ? err.kind : 'unreachable';
      const message = (err as Error).message;
      if (s.health !== (kind === 'unreachable' ? 'unreachable' : 'invalid')) logger.warn({ scanner: name, err: message }, 'scanner health changed');
      return store.scanners.setHealth(name, { health: kind === 'unreachable' ? 'unreachable' : 'invalid', message, at });
    }
  }

  async function round() {
    const now = Date.now();
    for (const s of await store.scanners.list()) {
      if (!s.enabled) continue;
      const due = s.health === 'healthy' || s.health === 'unknown' ? options.intervalMs : Math.min(options.intervalMs, UNREACHABLE_RECHECK_MS);
      if (now - (lastCheck.get(s.name) ?? 0) < due) continue;
      await check(s.name);
    }
  }

  function schedule() {
    if (stopped) return;
    timer = setTimeout(() => {
      running = round()
        .catch((err) => logger.error({ err }, 'scanner health round failed'))
        .finally(() => {
          running = undefined;
          schedule();
        });
    }, 1_000);
    timer.unref();
  }

  return {
    check,
    async refreshStale(olderThanMs, waitMs) {
      const now = Date.now();
      const stale = (await store.scanners.list()).filter((s) => s.enabled && now - (s.checkedAt?.getTime() ?? 0) > olderThanMs);
      if (stale.length === 0) return;
      const checks = Promise.all(stale.map((s) => check(s.name).catch((err) => logger.warn({ err, scanner: s.name }, 'scanner check failed'))));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([checks, new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
      clearTimeout(timer);
    },
    start() {
      stopped = false;
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
