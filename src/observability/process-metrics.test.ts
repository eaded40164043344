import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { collectProcessMetrics } from './process-metrics.ts';

const names = async (registry: Registry) => (await registry.getMetricsAsJSON()).map((m) => m.name).sort();

test('the process metrics are prom-client defaults, all but the GC duration histogram', async () => {
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults });
  const ours = new Registry();
  collectProcessMetrics(ours);
  const all = await names(defaults);
  assert.ok(all.includes('nodejs_gc_duration_seconds'), 'prom-client still names its GC metric so');
  assert.deepEqual(await names(ours), all.filter((n) => n !== 'nodejs_gc_duration_seconds'));
  assert.match(await ours.metrics(), /nodejs_eventloop_lag_p99_seconds \d/);
});
