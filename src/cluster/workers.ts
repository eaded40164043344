/**
 * `lazaret serve --workers N` (docs/scale-out.md "Workers"): N registry processes on one port.
 *
 * The primary process serves nothing itself. It forks the workers (node:cluster: the primary
 * owns the listening socket and hands connections to the workers in turn), restarts a worker
 * that dies, relays notifications between workers where the database cannot (SQLite), and on
 * SIGTERM/SIGINT stops every worker the way a single process stops (in-flight requests finish,
 * 30 s at most) before it exits.
 *
 * Each worker is an ordinary `lazaret serve` process, as stateless as a node behind a load
 * balancer: what must be shared lives in the database (or is invalidated through notifications).
 * Worker 1 starts first, alone: it migrates the schema and creates the first admin, so the
 * others find both done (and a bad configuration or a busy port ends the start at once, before
 * N processes fail the same way). Only worker 1 runs the built-in scanner.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { LazaretConfig } from '../config/schema.ts';
import { isChannel, type Channel } from '../notifications/notifications.ts';
import { startMetricsServer, type MetricsServer } from '../observability/metrics-server.ts';
import { createNodeMetrics, type NodeMetrics } from './node-metrics.ts';

/** The environment variables that tell a worker its number (1..N), how many there are and when the node started. */
export const WORKER_INDEX_ENV = 'LAZARET_WORKER_INDEX';
const WORKER_COUNT_ENV = 'LAZARET_WORKER_COUNT';
const NODE_STARTED_ENV = 'LAZARET_NODE_STARTED_AT';

/** Messages between the primary and the workers (IPC). */
export type WorkerMessage = { lazaret: 'ready'; address: string } | { lazaret: 'notify'; channel: Channel };

export function workerCount(config: Pick<LazaretConfig, 'workers'>): number {
  return config.workers === 0 ? availableParallelism() : config.workers;
}

/** This process's worker number under `--workers`, or undefined when it is the only process. */
export function workerIndex(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const n = Number(process.env[WORKER_INDEX_ENV]);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * This process's place in the node: under `--workers`, its number, the number of workers and
 * when the primary started (the node's uptime: a restarted worker is younger than its node);
 * undefined for a single process.
 */
export function workerPlace(): { worker: number; workers: number; nodeStartedAt: Date } | undefined {
  const worker = workerIndex();
  if (worker === undefined) return undefined;
  const workers = Number(process.env[WORKER_COUNT_ENV]);
  const started = new Date(process.env[NODE_STARTED_ENV] ?? '');
  return { worker, workers: Number.isInteger(workers) && workers > 0 ? workers : worker, nodeStartedAt: Number.isNaN(started.getTime()) ? new Date() : started };
}

/** Tells the primary this worker listens (a no-op outside a cluster). */
export function reportReady(address: string): void {
  if (cluster.isWorker) process.send?.({ lazaret: 'ready', address } satisfies WorkerMessage);
}

function isWorkerMessage(m: unknown): m is WorkerMessage {
  return typeof m === 'object' && m !== null && 'lazaret' in m;
}

/** Restarts allowed within RESTART_WINDOW_MS before the primary gives up (a crash loop). */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;
const RESTART_DELAY_MS = 1_000;
/** A worker's own shutdown gives in-flight requests 30 s; the primary waits a little longer. */
const STOP_GRACE_MS = 35_000;

export interface PrimaryOptions {
  /** `metrics.listen`/`metrics.mainPort` on: the primary merges the workers' metrics (node-metrics.ts). */
  metrics?: Pick<LazaretConfig['metrics'], 'listen'>;
}

export async function runPrimary(count: number, logger: Logger, options: PrimaryOptions = {}): Promise<void> {
  const startedAt = new Date().toISOString();
  const workers = new Map<number, Worker>();
  /** Workers that said they listen (a scrape asks only these). */
  const listening = new Set<Worker>();
  let nodeMetrics: NodeMetrics | undefined;
  let metricsServer: MetricsServer | undefined;
  if (options.metrics) nodeMetrics = await createNodeMetrics({ configured: count, listening: () => [...listening], logger });
  const restarts: number[] = [];
  let stopping = false;
  let started = false;

  // A notification published by one worker reaches the others (it already ran in its own).
  const relay = (from: Worker, message: unknown) => {
    if (nodeMetrics?.onMessage(from, message)) return;
    if (!isWorkerMessage(message) || message.lazaret !== 'notify' || !isChannel(message.channel)) return;
    for (const w of workers.values()) if (w !== from && w.isConnected()) w.send(message);
  };

  /** Forks worker `index`; resolves with its address once it listens, rejects if it exits first. */
  function fork(index: number): Promise<string> {
    const worker = cluster.fork({ [WORKER_INDEX_ENV]: String(index), [WORKER_COUNT_ENV]: String(count), [NODE_STARTED_ENV]: startedAt });
    workers.set(index, worker);
    worker.on('message', (m: unknown) => relay(worker, m));
    const ready = new Promise<string>((resolve, reject) => {
      const onMessage = (m: unknown) => {
        if (isWorkerMessage(m) && m.lazaret === 'ready') {
          worker.off('message', onMessage);
          listening.add(worker);
          resolve(m.address);
        }
      };
      worker.on('message', onMessage);
      worker.once('exit', (code, signal) => reject(new Error(`worker ${index} exited (${signal ?? code}) before listening`)));
    });
    worker.once('exit', (code, signal) => {
      listening.delete(worker);
      if (workers.get(index) === worker) workers.delete(index);
      if (stopping || !started) return;
      logger.error({ worker: index, pid: worker.process.pid, code, signal }, `worker ${index} exited; starting a new one`);
      const now = Date.now();
      restarts.push(now);
      while (restarts.length && restarts[0]! < now - RESTART_WINDOW_MS) restarts.shift();
      if (restarts.length > MAX_RESTARTS) {
        logger.fatal({ restarts: restarts.length }, `workers keep exiting (${restarts.length} in ${RESTART_WINDOW_MS / 1000} s); stopping`);
        void stop('crash loop', 1);
        return;
      }
      setTimeout(() => {
        if (!stopping) fork(index).catch((err) => logger.error({ err: (err as Error).message }, 'a restarted worker did not start'));
      }, RESTART_DELAY_MS).unref();
    });
    return ready;
  }

  async function stop(reason: string, exitCode = 0): Promise<void> {
    if (stopping) return;
    stopping = true;
    logger.info({ reason, workers: workers.size }, 'stopping the workers');
    const force = setTimeout(() => {
      logger.error('workers did not stop in time; killing them');
      for (const w of workers.values()) w.process.kill('SIGKILL');
    }, STOP_GRACE_MS);
    force.unref();
    const codes = await Promise.all(
      [...workers.values()].map(
        (w) =>
          new Promise<number>((resolve) => {
            if (w.process.exitCode !== null || w.process.signalCode !== null) return resolve(w.process.exitCode ?? 1);
            w.once('exit', (code) => resolve(code ?? 1));
            w.process.kill('SIGTERM');
          }),
      ),
    );
    clearTimeout(force);
    await metricsServer?.close();
    const failed = codes.some((c) => c !== 0);
    logger.info({ codes }, 'all workers stopped');
    process.exit(exitCode || (failed ? 1 : 0));
  }

  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  try {
    const address = await fork(1);
    const rest = Array.from({ length: count - 1 }, (_, i) => fork(i + 2));
    await Promise.all(rest);
    started = true;
    if (nodeMetrics && options.metrics?.listen) {
      metricsServer = await startMetricsServer(options.metrics.listen, nodeMetrics, logger);
      logger.info({ address: metricsServer.url }, 'metrics listener started (the whole node: every worker\'s metrics merged)');
    }
    logger.info({ address, workers: count, pid: process.pid }, `lazaret serves with ${count} workers`);
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'the workers did not start');
    await stop('start failed', 1);
  }
}
