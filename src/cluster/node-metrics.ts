/**
 * One node's metrics under `serve --workers N` (docs/scale-out.md "Workers", docs/operations.md
 * "Metrics"): every scrape shows the whole node, whichever worker took the connection.
 *
 * Each worker keeps its own prom-client Registry (counters, histograms, process metrics). A
 * scrape asks the primary, which asks every worker that is listening for its registry's values
 * (`getMetricsAsJSON`) over the cluster's IPC channel and merges them with prom-client's
 * `AggregatorRegistry.aggregate`: counters and histograms add up, the database's gauges (the
 * same on every worker) are taken once (`aggregator: 'first'` in metrics.ts), process metrics
 * follow prom-client's own rules (CPU and memory add up, the start time is left out).
 *
 * Where the scrape arrives:
 * - `metrics.listen`: the primary itself listens there (the workers do not), and answers.
 * - `/metrics` on the main port: the worker that got the request asks the primary (one
 *   `metrics-request`), which answers with the merged text.
 *
 * A worker that does not answer within COLLECT_TIMEOUT_MS (it is starting, or it just died) is
 * left out of that scrape rather than failing it; `lazaret_workers{state}` says how many were
 * configured and how many answered, so a scrape that misses one shows it.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';

export interface RenderedMetrics {
  contentType: string;
  body: string;
}

/** The IPC messages of a scrape. `id` pairs a request with its answer. */
export type MetricsMessage =
  | { lazaret: 'metrics-request'; id: number }
  | { lazaret: 'metrics-collect'; id: number }
  | { lazaret: 'metrics-collected'; id: number; metrics?: MetricObjectWithValues<MetricValue<string>>[]; error?: string }
  | { lazaret: 'metrics-response'; id: number; rendered?: RenderedMetrics; error?: string };

/** How long the primary waits for each worker's values in one scrape. */
const COLLECT_TIMEOUT_MS = 3_000;
/** How long a worker waits for the primary's merged answer (the collection and a margin). */
const RESPONSE_TIMEOUT_MS = 10_000;

function isMetricsMessage(m: unknown): m is MetricsMessage {
  return typeof m === 'object' && m !== null && typeof (m as { lazaret?: unknown }).lazaret === 'string' && (m as { lazaret: string }).lazaret.startsWith('metrics-');
}

/** The primary's side: merges the workers' registries. prom-client is loaded only when metrics are on. */
export async function createNodeMetrics(options: { configured: number; listening: () => Worker[]; logger: Logger }) {
  // Through metrics.ts, whose static import of prom-client the build resolves (a dynamic import
  // of the package itself would get the bundled CommonJS module without its named exports).
  const { mergeMetrics } = await import('../observability/metrics.ts');
  let next = 0;
  const pending = new Map<number, { answers: MetricObjectWithValues<MetricValue<string>>[][]; waiting: Set<Worker>; done: () => void }>();

  async function render(): Promise<RenderedMetrics> {
    const id = next++;
    const asked = options.listening().filter((w) => w.isConnected());
    const answers: MetricObjectWithValues<MetricValue<string>>[][] = [];
    await new Promise<void>((resolve) => {
      const waiting = new Set(asked);
      const done = () => {
        clearTimeout(timer);
        pending.delete(id);
        resolve();
      };
      const timer = setTimeout(() => {
        options.logger.warn({ missing: [...waiting].map((w) => w.process.pid) }, 'metrics: workers did not answer in time; this scrape leaves them out');
        done();
      }, COLLECT_TIMEOUT_MS);
      pending.set(id, { answers, waiting, done });
      if (waiting.size === 0) return done();
      for (const w of asked) w.send({ lazaret: 'metrics-collect', id } satisfies MetricsMessage);
    });
    return mergeMetrics(answers, options.configured);
  }

  /** Handles a worker's message (true when it was a metrics message). */
  function onMessage(worker: Worker, m: unknown): boolean {
    if (!isMetricsMessage(m)) return false;
    if (m.lazaret === 'metrics-collected') {
      const p = pending.get(m.id);
      if (!p?.waiting.delete(worker)) return true;
      if (m.metrics) p.answers.push(m.metrics);
      else options.logger.warn({ pid: worker.process.pid, err: m.error }, 'metrics: a worker could not read its metrics');
      if (p.waiting.size === 0) p.done();
    } else if (m.lazaret === 'metrics-request') {
      render().then(
        (rendered) => worker.isConnected() && worker.send({ lazaret: 'metrics-response', id: m.id, rendered } satisfies MetricsMessage),
        (err: unknown) => worker.isConnected() && worker.send({ lazaret: 'metrics-response', id: m.id, error: (err as Error).message } satisfies MetricsMessage),
      );
    }
    return true;
  }

  return { render, onMessage };
}

export type NodeMetrics = Awaited<ReturnType<typeof createNodeMetrics>>;

/**
 * A worker's side: answers the primary's collections from `registry`, and returns the render
 * function `/metrics` on the main port uses (the node's merged metrics, through the primary).
 */
export function workerMetrics(registry: Registry): () => Promise<RenderedMetrics> {
  let next = 0;
  const waiting = new Map<number, { resolve: (r: RenderedMetrics) => void; reject: (e: Error) => void }>();
  process.on('message', (m: unknown) => {
    if (!isMetricsMessage(m)) return;
    if (m.lazaret === 'metrics-collect') {
      registry.getMetricsAsJSON().then(
        (metrics) => process.send?.({ lazaret: 'metrics-collected', id: m.id, metrics } satisfies MetricsMessage),
        (err: unknown) => process.send?.({ lazaret: 'metrics-collected', id: m.id, error: (err as Error).message } satisfies MetricsMessage),
      );
    } else if (m.lazaret === 'metrics-response') {
      const w = waiting.get(m.id);
      if (!w) return;
      waiting.delete(m.id);
      if (m.rendered) w.resolve(m.rendered);
      else w.reject(new Error(m.error ?? 'no metrics'));
    }
  });
  return () =>
    new Promise<RenderedMetrics>((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('the primary did not answer the metrics request'));
      }, RESPONSE_TIMEOUT_MS);
      waiting.set(id, {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      if (!cluster.isWorker || !process.send) return reject(new Error('not a worker'));
      process.send({ lazaret: 'metrics-request', id } satisfies MetricsMessage);
    });
}
