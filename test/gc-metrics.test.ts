/**
 * Garbage collection and retention metrics over real HTTP: a retention run and a collection
 * with a zero grace period move the counters by exactly what they did (tags and manifests
 * deleted, blobs and bytes freed, runs by result and dry run), and the last-run gauges name the
 * run /api/v1/gc reports.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { createRegistryClient, type RegistryClient } from './helpers/registry-client.ts';
import { parse, value } from './helpers/prometheus.ts';

let server: TestServer;
let client: RegistryClient;
before(async () => {
  server = await startTestServer({ 'auth.mode': 'none', 'metrics.listen': '127.0.0.1:0', 'gc.intervalSeconds': 0, 'scanner.builtin': false });
  client = createRegistryClient(server.url);
});
after(async () => {
  await client.close();
  await server.close();
});

const scrape = async () => {
  const res = await request(`${server.services.observability.metricsUrl}/metrics`);
  assert.equal(res.statusCode, 200);
  return parse(await res.body.text());
};
const post = async (path: string, body: unknown) => client.req('POST', path, { headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)) });

async function gc(body: Record<string, unknown>) {
  const res = await post('/api/v1/gc', body);
  assert.equal(res.status, 202, res.text());
  const id = res.json().run.id as string;
  for (;;) {
    const r = (await client.req('GET', `/api/v1/gc/runs/${id}`)).json().run;
    if (r.status !== 'running') return r;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('a retention run and a collection move the GC and retention metrics by what they did', async () => {
  const layers = [randomBytes(1000), randomBytes(2000)];
  const old = await client.pushImage('gcm/app', 'old', { layers });
  await new Promise((resolve) => setTimeout(resolve, 5));
  await client.pushImage('gcm/app', 'new', { layers: [randomBytes(300)] });
  const before = await scrape();
  assert.equal(value(before, 'lazaret_gc_last_success_timestamp_seconds'), 0, 'no collection yet');

  // Retention: keep the newest tag; the old tag goes, and its image with it.
  assert.equal((await client.req('PUT', '/api/v1/retention', { headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ untagged: [], tags: [{ repositories: 'gcm/*', keepLast: 1 }] })) })).status, 200);
  assert.equal((await post('/api/v1/retention/run', { dryRun: true })).json().deletions.length, 2);
  assert.equal((await post('/api/v1/retention/run', {})).json().deletions.length, 2);

  const dry = await gc({ dryRun: true, gracePeriod: '0s' });
  const run = await gc({ gracePeriod: '0s' });
  assert.equal(run.status, 'done', JSON.stringify(run));
  const after = await scrape();
  const moved = (name: string, labels: Record<string, string> = {}) => value(after, name, labels) - value(before, name, labels);

  assert.equal(moved('lazaret_retention_deletions_total', { kind: 'tag' }), 1, 'the dry run counted nothing');
  assert.equal(moved('lazaret_retention_deletions_total', { kind: 'manifest' }), 1);
  assert.equal(moved('lazaret_gc_runs_total', { result: 'done', dry_run: 'true' }), 1);
  assert.equal(moved('lazaret_gc_runs_total', { result: 'done', dry_run: 'false' }), 1);
  assert.equal(moved('lazaret_gc_runs_total', { result: 'failed', dry_run: 'false' }), 0);
  // The old image's config, two layers and manifest bytes; what the dry run announced.
  const oldBytes = old.config.length + layers[0]!.length + layers[1]!.length + old.manifestBytes.length;
  assert.equal(run.summary.blobsDeleted, 4);
  assert.equal(dry.summary.blobsDeleted, 4);
  assert.equal(moved('lazaret_gc_blobs_deleted_total'), 4, 'a dry run frees nothing');
  assert.equal(moved('lazaret_gc_bytes_freed_total'), oldBytes);
  assert.equal(moved('lazaret_gc_links_removed_total'), run.summary.linksRemoved);
  assert.ok(run.summary.linksRemoved >= 3, 'the old image blob links');
  assert.equal(value(after, 'lazaret_gc_last_success_timestamp_seconds'), new Date(run.finishedAt).getTime() / 1000);
  assert.equal(value(after, 'lazaret_gc_last_duration_seconds'), (new Date(run.finishedAt).getTime() - new Date(run.startedAt).getTime()) / 1000);
});
