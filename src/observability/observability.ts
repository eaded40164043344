/**
 * What src/services.ts wires for operators: metrics (when `metrics.listen` or
 * `metrics.mainPort` is set) and tracing (when `otel.endpoint` is set). With both off, every
 * `observe*` returns its argument unchanged and no hook is installed: the cost is zero.
 */
import type { Logger } from 'pino';
import type pg from 'pg';
import type { LazaretConfig } from '../config/schema.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import type { Gate } from '../quarantine/gate.ts';
import type { IdentityServices } from '../auth/identity-services.ts';
import type { MetadataStore } from '../persistence/index.ts';
import type { QueryObserver } from '../metadata/db.ts';
import type { StoreObservers } from '../metadata/open-metadata-store.ts';
import type { Metrics } from './metrics.ts';
import type { HistogramSeries } from './keyed-metrics.ts';
import { composeAround, timing } from './around.ts';
import { observeBlobStore } from './observed-blob-store.ts';
import { observeGate } from './observed-gate.ts';
import { startMetricsServer, type MetricsServer } from './metrics-server.ts';
import type { Tracing } from './tracing.ts';
import { statementKind } from './statement-kind.ts';
import { workerIndex } from '../cluster/workers.ts';
import { workerMetrics } from '../cluster/node-metrics.ts';

export interface Observability {
  metrics?: Metrics;
  tracing?: Tracing;
  /** Hooks for openMetadataStore (query latency, spans, pool occupancy). */
  storeObservers: StoreObservers;
  observeBlobStore(blobs: BlobStore, driver: string): BlobStore;
  observeGate(gate: Gate): Gate;
  observeIdentity(identity: IdentityServices): IdentityServices;
  /** Attaches the scrape-time sources once the store is open. */
  attachStore(store: MetadataStore): void;
  /** Starts the separate metrics listener when configured. */
  start(): Promise<void>;
  /** Where the separate metrics listener is bound, once started. */
  readonly metricsUrl: string | undefined;
  close(): Promise<void>;
}

/** Whether this configuration collects metrics (a separate listener, or /metrics on the main port). */
export function metricsEnabled(config: LazaretConfig): boolean {
  return config.metrics.listen !== undefined || config.metrics.mainPort;
}

/**
 * A histogram's series by operation and outcome, each bound on its first use: the query and
 * blob-store observers run on every call, and this spares them a label object and a series key.
 */
function seriesByOperation(child: (operation: string, outcome: 'ok' | 'error') => HistogramSeries) {
  const bound = { ok: new Map<string, HistogramSeries>(), error: new Map<string, HistogramSeries>() };
  return (operation: string, outcome: 'ok' | 'error') => {
    let series = bound[outcome].get(operation);
    if (!series) {
      series = child(operation, outcome);
      bound[outcome].set(operation, series);
    }
    return series;
  };
}

const timingInto = (series: ReturnType<typeof seriesByOperation>) => timing((operation, seconds, outcome) => series(operation, outcome).observe(seconds));

export async function createObservability(config: LazaretConfig, logger: Logger): Promise<Observability> {
  const metricsOn = metricsEnabled(config);
  // Both loaded only when on: with metrics off prom-client (and the OpenTelemetry API it
  // pulls in) is never read, with tracing off not one OpenTelemetry module.
  const own = metricsOn ? (await import('./metrics.ts')).createMetrics() : undefined;
  // Under `serve --workers` a scrape shows the whole node: the primary merges every worker's
  // registry and serves `metrics.listen` itself (src/cluster/node-metrics.ts).
  const inWorker = workerIndex() !== undefined;
  const metrics = own && inWorker ? { ...own, render: workerMetrics(own.registry) } : own;
  const tracing = config.otel.endpoint ? (await import('./tracing.ts')).createTracing(config.otel, logger) : undefined;
  const dialect = config.databaseUrl ? 'postgres' : 'sqlite';
  let pool: pg.Pool | undefined;
  let server: MetricsServer | undefined;

  const observers: QueryObserver[] = [];
  if (metrics) {
    const query = seriesByOperation((operation, outcome) => metrics.dbQueryDuration.child({ dialect, operation, outcome }));
    observers.push(({ sql, durationMs, error }) => query(statementKind(sql), error === undefined ? 'ok' : 'error').observe(durationMs / 1000));
  }
  if (tracing) observers.push(tracing.queryObserver(dialect));
  const observe: QueryObserver | undefined = observers.length === 0 ? undefined : observers.length === 1 ? observers[0] : (e) => {
    for (const o of observers) o(e);
  };

  return {
    metrics,
    tracing,
    storeObservers: {
      ...(observe ? { observe } : {}),
      ...(metrics ? { onPool: (p: pg.Pool) => (pool = p) } : {}),
    },
    observeBlobStore(blobs, driver) {
      // The S3 driver (src/storage/s3) says how its GetObject answers were read.
      const reads = (blobs as { getObjectReads?: () => { direct: number; fallbacks: number } | undefined }).getObjectReads;
      if (metrics && reads) metrics.setGetObjectReads(reads);
      const around = composeAround(
        tracing?.around('blob_store', { 'lazaret.blob_store.driver': driver }),
        metrics ? timingInto(seriesByOperation((operation, outcome) => metrics.blobStoreDuration.child({ driver, operation, outcome }))) : undefined,
      );
      return around ? observeBlobStore(blobs, around) : blobs;
    },
    observeGate(gate) {
      if (!metrics && !tracing) return gate;
      return observeGate(gate, metrics ? (target, decision) => metrics.gateDecisions.inc({ target, decision }) : undefined, tracing?.around('gate', {}));
    },
    observeIdentity(identity) {
      if (!metrics) return identity;
      const { limiter, tokens } = identity;
      return {
        ...identity,
        limiter: {
          ...limiter,
          enter(id, address) {
            try {
              return limiter.enter(id, address);
            } catch (err) {
              metrics.loginThrottled.inc();
              throw err;
            }
          },
          async reserve(id, address) {
            try {
              return await limiter.reserve(id, address);
            } catch (err) {
              metrics.loginThrottled.inc();
              throw err;
            }
          },
        },
        tokens: {
          ...tokens,
          async issueAccessToken(...args) {
            const issued = await tokens.issueAccessToken(...args);
            metrics.tokensIssued.inc({ type: 'access' });
            return issued;
          },
          async issueRefreshToken(...args) {
            const issued = await tokens.issueRefreshToken(...args);
            metrics.tokensIssued.inc({ type: 'refresh' });
            return issued;
          },
        },
      };
    },
    attachStore(store) {
      metrics?.setSources({
        snapshot: () => store.operations.snapshot(),
        pool: () => (pool ? { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount } : undefined),
        lastGc: async () => {
          const run = (await store.gc.runs(50)).find((r) => r.status === 'done' && !r.dryRun && r.finishedAt);
          return run && { finishedAt: run.finishedAt!, durationMs: run.finishedAt!.getTime() - run.startedAt.getTime() };
        },
      });
    },
    async start() {
      if (metrics && config.metrics.listen && !inWorker) {
        server = await startMetricsServer(config.metrics.listen, metrics, logger);
        logger.info({ address: server.url }, 'metrics listener started');
      }
    },
    get metricsUrl() {
      return server?.url;
    },
    async close() {
      await server?.close();
      await tracing?.close();
    },
  };
}
