/**
 * The registry's Prometheus metrics (prom-client), one Registry per node (so several servers in
 * one test process never share counters). docs/operations.md lists every name with its labels;
 * docs/grafana-dashboard.json is built on exactly these names and a test checks it.
 *
 * Labels are bounded by construction: route TEMPLATES (`/v2/:name/manifests/:reference`), never
 * a path, a repository name, a tag or a digest; methods, status codes, fixed outcome words.
 *
 * Registry-wide state (repositories, uploads in progress, verdicts, the webhook outbox, scan jobs) is read
 * when Prometheus scrapes, in one aggregate snapshot shared by every gauge of that scrape; it is
 * therefore the database's view, the same on every node of a cluster. Counters and histograms
 * are this node's. The ones recorded on every request are keyed-metrics.ts' (same exposition,
 * a fraction of the cost); the rest are prom-client's own.
 */
import { AggregatorRegistry, Counter, Gauge, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { OperationsSnapshot } from '../persistence/index.ts';
import { KeyedCounter, KeyedHistogram } from './keyed-metrics.ts';
import { collectProcessMetrics } from './process-metrics.ts';

/** Seconds: fast metadata calls sit in the first buckets, slow blob transfers in the last. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const FAST_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export type GateTarget = 'manifest' | 'blob';
export type GateDecision = 'allowed' | 'held_by_tag' | 'held_by_digest' | 'refused_blob';
/** How a scan job ended: its findings passed or failed the image, the scan failed for good (`error`), or it was cancelled. */
export type ScanResult = 'passed' | 'failed' | 'error' | 'cancelled';

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export interface MetricsSources {
  /** The aggregate snapshot (store.operations.snapshot). */
  snapshot(): Promise<OperationsSnapshot>;
  /** PostgreSQL pool occupancy; undefined on SQLite (one connection, no pool). */
  pool?: () => PoolStats | undefined;
  /** The last garbage collection that deleted (not a dry run) and finished, any node's. */
  lastGc?: () => Promise<{ finishedAt: Date; durationMs: number } | undefined>;
}

/** What a finished garbage collection run adds to this node's counters. */
export interface GcRunFigures {
  status: 'done' | 'failed';
  dryRun: boolean;
  blobsDeleted?: number;
  bytesFreed?: number;
  linksRemoved?: number;
}

export interface Metrics {
  readonly registry: Registry;
  readonly httpRequests: KeyedCounter<'route' | 'method' | 'status'>;
  readonly httpDuration: KeyedHistogram<'route' | 'method' | 'status'>;
  readonly httpBytesIn: KeyedCounter<'route'>;
  readonly httpBytesOut: KeyedCounter<'route'>;
  readonly gateDecisions: KeyedCounter<'target' | 'decision'>;
  readonly loginThrottled: Counter;
  readonly tokensIssued: Counter<'type'>;
  readonly webhookAttempts: Counter<'result'>;
  readonly scanJobsFinished: Counter<'result'>;
  readonly dbQueryDuration: KeyedHistogram<'dialect' | 'operation' | 'outcome'>;
  readonly blobStoreDuration: KeyedHistogram<'driver' | 'operation' | 'outcome'>;
  readonly blobVerifications: Counter<'result'>;
  /** Tags and manifests retention deleted (dry runs delete nothing). */
  readonly retentionDeletions: Counter<'kind'>;
  /** Counts a finished garbage collection run of this node. */
  gcFinished(run: GcRunFigures): void;
  /** Attaches what the scrape-time gauges read (called once the stores are open). */
  setSources(sources: MetricsSources): void;
  /** Attaches the S3 driver's GetObject counts (read at scrape time). */
  setGetObjectReads(read: () => { direct: number; fallbacks: number } | undefined): void;
  /** The exposition text and its content type. */
  render(): Promise<{ contentType: string; body: string }>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectProcessMetrics(registry);
  let sources: MetricsSources | undefined;
  let getObjectReads: (() => { direct: number; fallbacks: number } | undefined) | undefined;

  // One snapshot per scrape: every gauge's collect() of the same scrape awaits the same promise.
  let pending: Promise<OperationsSnapshot | undefined> | undefined;
  const snapshot = () => {
    pending ??= (sources ? sources.snapshot() : Promise.resolve(undefined)).catch(() => undefined).finally(() => {
      setImmediate(() => (pending = undefined));
    });
    return pending;
  };
  const fromSnapshot = (name: string, help: string, read: (s: OperationsSnapshot, g: Gauge) => void, labelNames: string[] = []) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      // The database's view, the same in every worker: a node's merged scrape takes it once.
      aggregator: 'first',
      async collect() {
        const s = await snapshot();
        this.reset();
        if (s) read(s, this);
      },
    });

  fromSnapshot('lazaret_repositories', 'Repositories in the registry.', (s, g) => g.set(s.repositories));
  fromSnapshot('lazaret_manifests', 'Manifests in the registry (per repository link).', (s, g) => g.set(s.manifests));
  fromSnapshot('lazaret_stored_blob_bytes', 'Bytes of distinct linked blobs (each digest counted once).', (s, g) => g.set(s.blobs.bytes));
  fromSnapshot('lazaret_uploads_in_progress', 'Upload sessions started and not yet committed, cancelled or cleaned up.', (s, g) => g.set(s.uploads));
  fromSnapshot('lazaret_manifests_by_verdict', 'Manifests with a quarantine verdict, by verdict state.', (s, g) => {
    for (const [verdict, n] of Object.entries(s.verdicts)) g.set({ verdict }, n);
  }, ['verdict']);
  fromSnapshot('lazaret_webhook_deliveries_pending', 'Webhook deliveries waiting or in flight.', (s, g) => g.set(s.outbox.pending));
  fromSnapshot('lazaret_webhook_oldest_pending_age_seconds', 'Age of the oldest webhook delivery still waiting (0 when none).', (s, g) =>
    g.set(s.outbox.oldestPendingAt ? Math.max(0, (Date.now() - s.outbox.oldestPendingAt.getTime()) / 1000) : 0),
  );
  fromSnapshot('lazaret_webhook_dead_letters', 'Webhook deliveries that failed for good (kept for redelivery).', (s, g) => g.set(s.outbox.failed));
  fromSnapshot('lazaret_scan_jobs_queued', 'Scan jobs waiting to be sent to a scanner (no scanner, scanner down, concurrency cap, retry backoff, index waiting for children).', (s, g) => g.set(s.scans.queued));
  fromSnapshot('lazaret_scan_jobs_running', 'Scan jobs sent to a scanner and without a report yet.', (s, g) => g.set(s.scans.running));
  fromSnapshot('lazaret_scan_oldest_job_age_seconds', 'Age of the oldest scan job not finished, queued or running (0 when none): how long an image has been held waiting for its scan.', (s, g) =>
    g.set(s.scans.oldestActiveAt ? Math.max(0, (Date.now() - s.scans.oldestActiveAt.getTime()) / 1000) : 0),
  );
  // The S3 driver's own tally (src/storage/s3/get-object-handler.ts), read when scraped.
  new Counter({
    name: 'lazaret_s3_get_object_reads_total',
    help: 'S3 GetObject answers by how they were read: direct (Lazaret\'s reader, framed by Content-Length), node_http (framed otherwise, fetched again through node:http); absent on the filesystem.',
    labelNames: ['reader'],
    registers: [registry],
    collect() {
      this.reset();
      const s = getObjectReads?.();
      if (!s) return;
      this.inc({ reader: 'direct' }, s.direct);
      this.inc({ reader: 'node_http' }, s.fallbacks);
    },
  });
  new Gauge({
    name: 'lazaret_db_pool_connections',
    help: 'PostgreSQL pool connections by state (total, idle, waiting clients); absent on SQLite.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.reset();
      const p = sources?.pool?.();
      if (!p) return;
      this.set({ state: 'total' }, p.total);
      this.set({ state: 'idle' }, p.idle);
      this.set({ state: 'waiting' }, p.waiting);
    },
  });

  new Gauge({
    name: 'lazaret_gc_last_success_timestamp_seconds',
    help: 'When the last garbage collection that deleted (not a dry run) finished, any node (0: none yet).',
    registers: [registry],
    aggregator: 'first',
    async collect() {
      const last = await sources?.lastGc?.().catch(() => undefined);
      this.set(last ? last.finishedAt.getTime() / 1000 : 0);
    },
  });
  new Gauge({
    name: 'lazaret_gc_last_duration_seconds',
    help: 'How long the last garbage collection that deleted (not a dry run) took, any node (0: none yet).',
    registers: [registry],
    aggregator: 'first',
    async collect() {
      const last = await sources?.lastGc?.().catch(() => undefined);
      this.set(last ? last.durationMs / 1000 : 0);
    },
  });
  const gcRuns = new Counter({ name: 'lazaret_gc_runs_total', help: 'Garbage collection runs this node finished, by result (done, failed) and whether it was a dry run.', labelNames: ['result', 'dry_run'], registers: [registry] });
  const gcBlobs = new Counter({ name: 'lazaret_gc_blobs_deleted_total', help: 'Blobs whose bytes garbage collection on this node deleted.', registers: [registry] });
  const gcBytes = new Counter({ name: 'lazaret_gc_bytes_freed_total', help: 'Bytes garbage collection on this node freed in the blob store.', registers: [registry] });
  const gcLinks = new Counter({ name: 'lazaret_gc_links_removed_total', help: 'Dangling blob links (no manifest references them) garbage collection on this node removed.', registers: [registry] });

  return {
    registry,
    retentionDeletions: new Counter({ name: 'lazaret_retention_deletions_total', help: 'Tags and manifests retention rules deleted on this node, by kind (tag, manifest).', labelNames: ['kind'], registers: [registry] }),
    gcFinished(run) {
      gcRuns.inc({ result: run.status, dry_run: String(run.dryRun) });
      if (run.dryRun || run.status !== 'done') return;
      gcBlobs.inc(run.blobsDeleted ?? 0);
      gcBytes.inc(run.bytesFreed ?? 0);
      gcLinks.inc(run.linksRemoved ?? 0);
    },
    httpRequests: new KeyedCounter({ name: 'lazaret_http_requests_total', help: 'HTTP requests answered, by route template, method and status.', labelNames: ['route', 'method', 'status'], registers: [registry] }),
    httpDuration: new KeyedHistogram({ name: 'lazaret_http_request_duration_seconds', help: 'Time from request to the last byte of the response.', labelNames: ['route', 'method', 'status'], buckets: LATENCY_BUCKETS, registers: [registry] }),
    httpBytesIn: new KeyedCounter({ name: 'lazaret_http_request_bytes_total', help: 'Bytes received on the wire (headers and body), by route template.', labelNames: ['route'], registers: [registry] }),
    httpBytesOut: new KeyedCounter({ name: 'lazaret_http_response_bytes_total', help: 'Bytes sent on the wire (headers and body), by route template.', labelNames: ['route'], registers: [registry] }),
    gateDecisions: new KeyedCounter({ name: 'lazaret_gate_decisions_total', help: 'Quarantine gate checks of manifest and blob reads, by decision.', labelNames: ['target', 'decision'], registers: [registry] }),
    loginThrottled: new Counter({ name: 'lazaret_login_throttled_total', help: 'Logins refused by the failed-login throttle (429) before the password was checked.', registers: [registry] }),
    tokensIssued: new Counter({ name: 'lazaret_tokens_issued_total', help: 'Tokens issued by /oauth2 and the token endpoint, by type (access, refresh).', labelNames: ['type'], registers: [registry] }),
    webhookAttempts: new Counter({ name: 'lazaret_webhook_attempts_total', help: 'Webhook delivery attempts by result (delivered, retry, failed).', labelNames: ['result'], registers: [registry] }),
    scanJobsFinished: new Counter({ name: 'lazaret_scan_jobs_finished_total', help: 'Scan jobs this node ended, by result (passed, failed: by the findings; error: the scan failed for good; cancelled).', labelNames: ['result'], registers: [registry] }),
    dbQueryDuration: new KeyedHistogram({ name: 'lazaret_db_query_duration_seconds', help: 'Metadata database query latency by dialect, statement kind and outcome.', labelNames: ['dialect', 'operation', 'outcome'], buckets: FAST_BUCKETS, registers: [registry] }),
    blobVerifications: new Counter({ name: 'lazaret_blob_verifications_total', help: 'Whole-blob GETs over 1 MiB by how their content was checked: hashed as sent (and matched), remembered (this stored version was verified before), mismatch (cut short).', labelNames: ['result'], registers: [registry] }),
    blobStoreDuration: new KeyedHistogram({ name: 'lazaret_blob_store_operation_duration_seconds', help: 'Blob store call latency by driver and operation (for open: until the stream is handed over).', labelNames: ['driver', 'operation', 'outcome'], buckets: LATENCY_BUCKETS, registers: [registry] }),
    setSources(s) {
      sources = s;
    },
    setGetObjectReads(read) {
      getObjectReads = read;
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/**
 * The node's exposition under `serve --workers` (src/cluster/node-metrics.ts): the workers'
 * registries merged by each metric's aggregator (sum unless set: counters and histograms add
 * up, the snapshot gauges above are taken once), plus how many workers this scrape includes.
 */
export async function mergeMetrics(answers: MetricObjectWithValues<MetricValue<string>>[][], configured: number): Promise<{ contentType: string; body: string }> {
  const merged = AggregatorRegistry.aggregate(answers);
  const workers = new Gauge({ name: 'lazaret_workers', help: 'Worker processes of this node (serve --workers): configured, and those whose metrics this scrape includes.', labelNames: ['state'], registers: [merged] });
  workers.set({ state: 'configured' }, configured);
  workers.set({ state: 'scraped' }, answers.length);
  return { contentType: merged.contentType, body: await merged.metrics() };
}
