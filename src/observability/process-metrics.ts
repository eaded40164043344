/**
 * prom-client's default process metrics (`process_*`, `nodejs_*`) except one,
 * `nodejs_gc_duration_seconds`. Why: prom-client feeds it from a PerformanceObserver on `gc`
 * entries, so every garbage collection runs JavaScript on the request thread (Node builds an
 * entry object, wraps its deprecated fields, queues the observer; prom-client observes a
 * labelled histogram). On manifest GET that was the largest single metrics cost after the
 * per-request series (bench/README.md, "Cost of metrics"). Every other default metric is read
 * when Prometheus scrapes, or (the event loop delay) kept by a native histogram.
 *
 * prom-client has no switch for one default metric, so its collectors are called one by one
 * from the list it publishes (`collectDefaultMetrics.metricsList`, each one a module of
 * prom-client/lib/metrics/); a test checks that the scrape has all of them but the GC one.
 */
import { createRequire } from 'node:module';
import { collectDefaultMetrics, type Registry } from 'prom-client';

/** The default collectors left out (prom-client's names for them). */
export const OMITTED_DEFAULT_METRICS: readonly string[] = ['gc'];

const load = createRequire(import.meta.url);

export function collectProcessMetrics(registry: Registry) {
  for (const name of collectDefaultMetrics.metricsList) {
    if (OMITTED_DEFAULT_METRICS.includes(name)) continue;
    const collect = load(`prom-client/lib/metrics/${name}.js`) as (register: Registry, config: Record<string, unknown>) => void;
    // prom-client's own default precision (milliseconds) for the event loop delay histogram.
    collect(registry, { eventLoopMonitoringPrecision: 10 });
  }
}
