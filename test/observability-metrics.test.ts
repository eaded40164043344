/**
 * /metrics over real HTTP: a push, a pull, held pulls and a webhook delivery move exactly the
 * counters they should; the separate listener serves only /metrics; on the main port /metrics
 * exists only with `metrics.mainPort` and needs the `metrics` permission; labels never carry a
 * repository name or a digest; the Grafana dashboard uses only metrics a scrape exposes.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { startReceiver, type Receiver, RECEIVER_CONFIG } from './helpers/webhook-receiver.ts';
import { call, pushImage } from './helpers/quarantine-fixtures.ts';
import { accessToken, adminAuth, basicAuth, createUser, startTokenServer } from './helpers/identities.ts';
import { parse, value } from './helpers/prometheus.ts';

let server: TestServer;
let receiver: Receiver;
let metricsUrl: string;
const scrape = async () => {
  const res = await request(`${metricsUrl}/metrics`);
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain/);
  return { text: await res.body.text(), get map() { return parse(this.text); } };
};

before(async () => {
  receiver = await startReceiver(() => 200);
  server = await startTestServer({ 'auth.mode': 'none', 'metrics.listen': '127.0.0.1:0', 'events.pollIntervalMs': 100, ...RECEIVER_CONFIG });
  metricsUrl = server.services.observability.metricsUrl!;
});
after(async () => {
  await server.close();
  await receiver.close();
});

test('push, pull, held pulls and a webhook move the counters by exactly what happened', async () => {
  const u = server.url;
  const created = await call(u, 'PUT', '/api/v1/webhooks/metrics1', { body: { location: 'here', properties: { serviceUri: `${receiver.url}/hook`, actions: ['push'] } } });
  assert.equal(created.status, 201, created.text);
  const before = (await scrape()).map;

  // A push: 2 blob uploads (config, layer) and a manifest PUT; then a pull by tag and one blob.
  const image = await pushImage(u, 'metrics/app', { seed: 'metrics-1', tag: 'v1' });
  assert.equal((await call(u, 'GET', '/v2/metrics/app/manifests/v1', { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).status, 200);
  const blob = await request(`${u}/v2/metrics/app/blobs/${image.layers[0]}`);
  assert.equal(blob.statusCode, 200);
  await blob.body.text();
  await receiver.waitFor((all) => all.length >= 1, 10_000);

  // Held: the policy on, a second image pushed (held, no verdict); tag, digest and blob reads refused.
  assert.equal((await call(u, 'PATCH', '/api/v1/policies', { body: { quarantinePolicy: { status: 'enabled' } } })).status, 200);
  const held = await pushImage(u, 'metrics/held', { seed: 'metrics-2', tag: 'v1' });
  assert.equal((await call(u, 'GET', '/v2/metrics/held/manifests/v1')).status, 404);
  assert.equal((await call(u, 'GET', `/v2/metrics/held/manifests/${held.digest}`)).status, 403);
  assert.equal((await call(u, 'GET', `/v2/metrics/held/blobs/${held.layers[0]}`)).status, 403);
  // A path no route matches, twice: counted under one `unmatched` label, never the path.
  for (let i = 0; i < 2; i++) assert.equal((await call(u, 'GET', '/no/such/metrics-path')).status, 404);

  // Let the webhook attempt's bookkeeping land before the second scrape.
  const after = await (async () => {
    for (let i = 0; i < 50; i++) {
      const s = (await scrape()).map;
      if (value(s, 'lazaret_webhook_attempts_total', { result: 'delivered' }) >= 1) return s;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the webhook attempt was never counted');
  })();
  const moved = (name: string, labels: Record<string, string> = {}) => value(after, name, labels) - value(before, name, labels);

  const uploads = { route: '/v2/:name/blobs/uploads/', method: 'POST', status: '201' };
  assert.equal(moved('lazaret_http_requests_total', uploads), 4, 'two blobs per image, two images');
  assert.equal(moved('lazaret_http_requests_total', { route: '/v2/:name/manifests/:reference', method: 'PUT', status: '201' }), 2);
  assert.equal(moved('lazaret_http_requests_total', { route: '/v2/:name/manifests/:reference', method: 'GET', status: '200' }), 1);
  assert.equal(moved('lazaret_http_requests_total', { route: '/v2/:name/manifests/:reference', method: 'GET', status: '404' }), 1);
  assert.equal(moved('lazaret_http_requests_total', { route: '/v2/:name/manifests/:reference', method: 'GET', status: '403' }), 1);
  assert.equal(moved('lazaret_http_requests_total', { route: '/v2/:name/blobs/:digest', method: 'GET', status: '200' }), 1);
  assert.equal(moved('lazaret_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' }), 2);
  assert.equal(moved('lazaret_http_request_duration_seconds_count', uploads), 4, 'the histogram counts what the counter counts');
  assert.ok(moved('lazaret_http_request_bytes_total', { route: '/v2/:name/blobs/uploads/' }) > 4 * 20, 'upload bytes counted');
  assert.ok(moved('lazaret_http_response_bytes_total', { route: '/v2/:name/blobs/:digest' }) >= Buffer.byteLength('layer of metrics-1'));

  assert.equal(moved('lazaret_gate_decisions_total', { target: 'manifest', decision: 'allowed' }), 1);
  assert.equal(moved('lazaret_gate_decisions_total', { target: 'manifest', decision: 'held_by_tag' }), 1);
  assert.equal(moved('lazaret_gate_decisions_total', { target: 'manifest', decision: 'held_by_digest' }), 1);
  assert.equal(moved('lazaret_gate_decisions_total', { target: 'blob', decision: 'allowed' }), 1);
  assert.equal(moved('lazaret_gate_decisions_total', { target: 'blob', decision: 'refused_blob' }), 1);

  assert.equal(moved('lazaret_webhook_attempts_total', { result: 'delivered' }), 1);
  assert.equal(moved('lazaret_repositories'), 2);
  assert.equal(moved('lazaret_manifests_by_verdict', { verdict: 'Quarantined' }), 1, 'the held push got its Quarantined verdict');
  assert.ok(moved('lazaret_blob_store_operation_duration_seconds_count', { driver: 'fs', operation: 'put', outcome: 'ok' }) >= 4);
  assert.ok(moved('lazaret_db_query_duration_seconds_count', { dialect: 'sqlite', operation: 'select', outcome: 'ok' }) > 0);
  assert.ok(value(after, 'process_resident_memory_bytes') > 0, 'process metrics are exported');
});

test('no label ever carries a repository name, a tag or a digest', async () => {
  await pushImage(server.url, 'metrics/secret-name', { seed: 'metrics-3', tag: 'secret-tag' });
  const { text } = await scrape();
  assert.doesNotMatch(text, /secret-name|secret-tag|sha256:/);
  assert.doesNotMatch(text, /metrics\/app|metrics\/held/);
});

test('the separate listener serves only /metrics; the main port has none unless mainPort is on', async () => {
  assert.equal((await request(`${metricsUrl}/v2/`)).statusCode, 404);
  assert.equal((await request(`${metricsUrl}/metrics`, { method: 'POST' })).statusCode, 405);
  const main = await request(`${server.url}/metrics`);
  assert.equal(main.statusCode, 404);
  await main.body.text();
});

test('on the main port /metrics needs the metrics permission (Owner has it; Reader and AcrPull do not)', async () => {
  const s = await startTokenServer({ 'metrics.mainPort': true });
  try {
    await createUser(s, 'watcher', 'watcher-password', [{ role: 'Owner' }]);
    await createUser(s, 'reader', 'reader-password', [{ role: 'Reader' }]);
    await createUser(s, 'puller', 'puller-password', [{ role: 'AcrPull' }]);
    // Token issuance and the login throttle, as counted on this node.
    await accessToken(s, 'watcher', 'watcher-password', 'repository:a/b:pull');
    for (let i = 0; i < 5; i++) {
      const bad = await request(`${s.url}/v2/`, { headers: { authorization: basicAuth('ghost', 'wrong-password') } });
      assert.equal(bad.statusCode, 401);
      await bad.body.text();
    }
    const throttled = await request(`${s.url}/v2/`, { headers: { authorization: basicAuth('ghost', 'wrong-password') } });
    assert.equal(throttled.statusCode, 429);
    await throttled.body.text();
    const anonymous = await request(`${s.url}/metrics`);
    assert.equal(anonymous.statusCode, 401);
    assert.match(String(anonymous.headers['www-authenticate']), /registry:metrics:\*/);
    await anonymous.body.text();
    for (const auth of [basicAuth('puller', 'puller-password'), basicAuth('reader', 'reader-password')]) {
      const denied = await request(`${s.url}/metrics`, { headers: { authorization: auth } });
      assert.equal(denied.statusCode, 403);
      await denied.body.text();
    }
    for (const auth of [adminAuth(), basicAuth('watcher', 'watcher-password')]) {
      const ok = await request(`${s.url}/metrics`, { headers: { authorization: auth } });
      assert.equal(ok.statusCode, 200);
      const text = await ok.body.text();
      assert.equal(value(parse(text), 'lazaret_tokens_issued_total', { type: 'access' }), 1);
      assert.equal(value(parse(text), 'lazaret_login_throttled_total'), 1);
      assert.match(text, /lazaret_http_requests_total\{route="\/metrics",method="GET",status="401"\} 1/);
    }
  } finally {
    await s.close();
  }
});

test('every metric the Grafana dashboard queries exists in a scrape', async () => {
  const dashboard = JSON.parse(readFileSync(new URL('../docs/grafana-dashboard.json', import.meta.url), 'utf8'));
  const exprs: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'expr' && typeof v === 'string') exprs.push(v);
        else walk(v);
      }
    }
  };
  walk(dashboard);
  assert.ok(exprs.length >= 10, 'the dashboard has panels');
  const { text } = await scrape();
  const exposed = new Set([...text.matchAll(/^# TYPE (\S+) (\w+)/gm)].flatMap((m) => (m[2] === 'histogram' ? [`${m[1]}_bucket`, `${m[1]}_sum`, `${m[1]}_count`] : [m[1]!])));
  const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\b((?:lazaret|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1]!)));
  assert.ok(used.size >= 10);
  for (const name of used) assert.ok(exposed.has(name), `the dashboard uses ${name}, which no scrape exposes`);
});
