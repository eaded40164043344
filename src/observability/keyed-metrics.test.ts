import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { KeyedCounter, KeyedHistogram } from './keyed-metrics.ts';

const buckets = [0.001, 0.01, 0.1, 1];
const observations: [string, string, number][] = [
  ['/v2/', 'GET', 0.0004],
  ['/v2/:name/manifests/:reference', 'GET', 0.001],
  ['/v2/:name/manifests/:reference', 'GET', 0.02],
  ['/v2/:name/manifests/:reference', 'HEAD', 3],
  ['/v2/', 'GET', 0.5],
];

/** The same observations through prom-client's own metrics and through the keyed ones. */
async function expositions() {
  const theirs = new Registry();
  const ours = new Registry();
  const c1 = new Counter({ name: 'x_requests_total', help: 'h', labelNames: ['route', 'method'], registers: [theirs] });
  const h1 = new Histogram({ name: 'x_duration_seconds', help: 'h', labelNames: ['route', 'method'], buckets, registers: [theirs] });
  const c2 = new KeyedCounter<'route' | 'method'>({ name: 'x_requests_total', help: 'h', labelNames: ['route', 'method'], registers: [ours] });
  const h2 = new KeyedHistogram<'route' | 'method'>({ name: 'x_duration_seconds', help: 'h', labelNames: ['route', 'method'], buckets, registers: [ours] });
  for (const [route, method, seconds] of observations) {
    c1.inc({ route, method }, 2);
    h1.observe({ route, method }, seconds);
    c2.inc({ route, method }, 2);
    h2.observe({ route, method }, seconds);
  }
  return { theirs: await theirs.metrics(), ours: await ours.metrics(), json: await ours.getMetricsAsJSON() };
}

test('keyed counters and histograms write exactly what prom-client writes for the same observations', async () => {
  const { theirs, ours } = await expositions();
  assert.equal(ours, theirs);
  assert.match(ours, /x_duration_seconds_bucket\{le="0\.001",route="\/v2\/:name\/manifests\/:reference",method="GET"\} 1/);
  assert.match(ours, /x_duration_seconds_count\{route="\/v2\/",method="GET"\} 2/);
  assert.match(ours, /x_requests_total\{route="\/v2\/",method="GET"\} 4/);
});

test('keyed series say how a cluster aggregator combines them (summed)', async () => {
  const { json } = await expositions();
  assert.deepEqual(json.map((m) => [m.name, m.type, m.aggregator]), [
    ['x_requests_total', 'counter', 'sum'],
    ['x_duration_seconds', 'histogram', 'sum'],
  ]);
});

test('a series keeps its own copy of the labels (a caller reusing its object cannot rename it)', async () => {
  const registry = new Registry();
  const c = new KeyedCounter<'route'>({ name: 'y_total', help: 'h', labelNames: ['route'], registers: [registry] });
  const labels = { route: 'a' };
  c.inc(labels);
  labels.route = 'b';
  c.inc(labels);
  assert.match(await registry.metrics(), /y_total\{route="a"\} 1\ny_total\{route="b"\} 1/);
});

test('a series handed out by child() is the one inc and observe record into', async () => {
  const registry = new Registry();
  const c = new KeyedCounter<'route'>({ name: 'z_total', help: 'h', labelNames: ['route'], registers: [registry] });
  const h = new KeyedHistogram<'route'>({ name: 'z_seconds', help: 'h', labelNames: ['route'], buckets, registers: [registry] });
  const counter = c.child({ route: 'a' });
  const histogram = h.child({ route: 'a' });
  counter.inc();
  counter.inc(2);
  c.inc({ route: 'a' });
  histogram.observe(0.005);
  h.observe({ route: 'a' }, 2);
  const text = await registry.metrics();
  assert.match(text, /z_total\{route="a"\} 4/);
  assert.match(text, /z_seconds_bucket\{le="0\.01",route="a"\} 1/);
  assert.match(text, /z_seconds_count\{route="a"\} 2/);
  assert.match(text, /z_seconds_sum\{route="a"\} 2\.005/);
});
