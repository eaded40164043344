/**
 * Counters and histograms for the per-request hot paths (HTTP, database queries, blob-store
 * calls, gate decisions), registered in the node's prom-client Registry like any other metric.
 *
 * Why not prom-client's own Counter and Histogram here: each of their `inc`/`observe` calls
 * sorts and joins the label names to find the series (about 1 us each, also through
 * `labels()`), and a manifest GET records six to eight of them, which cost more than 10% of
 * its CPU (bench/metrics-cost.ts). These keep the label names in a fixed order, so the series
 * key is the label values joined, one Map lookup; the exposition is built only when Prometheus
 * scrapes. Output is the same text prom-client writes for its own (names, `le` buckets, _sum,
 * _count), and `aggregator: 'sum'` lets a cluster aggregator add the workers' series up.
 *
 * `child(labels)` hands out one series itself, for a caller that records into the same series
 * over and over (the HTTP metrics keep them per route): then a record is one addition, no key.
 */
import type { Registry } from 'prom-client';

type Labels<N extends string> = Record<N, string>;

interface MetricValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

interface Options<N extends string> {
  name: string;
  help: string;
  labelNames: readonly N[];
  registers: Registry[];
}

/** A prom-client-compatible metric object (what Registry.registerMetric expects). */
abstract class KeyedMetric<N extends string, S> {
  // Not readonly: prom-client renames counters in place for the OpenMetrics format.
  name: string;
  readonly help: string;
  abstract readonly type: 'counter' | 'histogram';
  readonly aggregator = 'sum' as const;
  protected readonly labelNames: readonly N[];
  protected readonly series = new Map<string, { labels: Labels<N>; state: S }>();

  constructor(options: Options<N>) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames;
    for (const registry of options.registers) registry.registerMetric(this as never);
  }

  /** The series of these label values, created on first use (a copy of the labels is kept). */
  child(labels: Labels<N>): S {
    let key = '';
    for (const n of this.labelNames) key += `${labels[n]}\u0001`;
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels: { ...labels }, state: this.initial() };
      this.series.set(key, entry);
    }
    return entry.state;
  }

  protected abstract initial(): S;
  protected abstract values(): MetricValue[];

  async get() {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.values() };
  }

  reset() {
    this.series.clear();
  }
}

/** One counter series. */
export class CounterSeries {
  value = 0;

  inc(by = 1) {
    this.value += by;
  }
}

export class KeyedCounter<N extends string = never> extends KeyedMetric<N, CounterSeries> {
  readonly type = 'counter' as const;

  inc(labels: Labels<N>, value = 1) {
    this.child(labels).value += value;
  }

  protected initial() {
    return new CounterSeries();
  }

  protected values(): MetricValue[] {
    return [...this.series.values()].map(({ labels, state }) => ({ labels, value: state.value }));
  }
}

/** One histogram series. */
export class HistogramSeries {
  /** Observations per bucket, not cumulative (the last slot is +Inf). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly buckets: readonly number[]) {
    this.counts = new Float64Array(buckets.length + 1);
  }

  observe(value: number) {
    let i = 0;
    while (i < this.buckets.length && value > this.buckets[i]!) i++;
    this.counts[i]! += 1;
    this.sum += value;
    this.count += 1;
  }
}

export class KeyedHistogram<N extends string = never> extends KeyedMetric<N, HistogramSeries> {
  readonly type = 'histogram' as const;
  private readonly buckets: readonly number[];

  constructor(options: Options<N> & { buckets: readonly number[] }) {
    super(options);
    this.buckets = [...options.buckets].sort((a, b) => a - b);
  }

  observe(labels: Labels<N>, value: number) {
    this.child(labels).observe(value);
  }

  protected initial() {
    return new HistogramSeries(this.buckets);
  }

  protected values(): MetricValue[] {
    const out: MetricValue[] = [];
    for (const { labels, state } of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += state.counts[i]!;
        out.push({ metricName: `${this.name}_bucket`, labels: { le, ...labels }, value: cumulative });
      });
      out.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...labels }, value: state.count });
      out.push({ metricName: `${this.name}_sum`, labels, value: state.sum });
      out.push({ metricName: `${this.name}_count`, labels, value: state.count });
    }
    return out;
  }
}
