/**
 * The adapter client (src/scan/adapter-client.ts) against the exact shapes and quirks of the
 * Trivy adapter, reproduced by test/helpers/trivy-like-adapter.ts: 302 without Refresh-After,
 * 415 for another Accept, the adapter error media type, a clean report without severity and
 * vulnerabilities, forgotten jobs (404), 400/422 on bad scan requests, API-key auth.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AdapterError, createAdapterClient, DEFAULT_REFRESH_MS } from '../src/scan/adapter-client.ts';
import { MIME } from '../src/scan/harbor-api.ts';
import { parseVulnerabilityReport, summarize } from '../src/scan/verdict-of-report.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { pushImage } from './helpers/quarantine-fixtures.ts';
import { startTrivyLikeAdapter, type TrivyLikeAdapter } from './helpers/trivy-like-adapter.ts';

describe('adapter client against the Trivy adapter quirks', () => {
  let adapter: TrivyLikeAdapter;
  let registry: TestServer;
  let image: { digest: string };
  const client = () => createAdapterClient({ url: adapter.url, auth: { kind: 'api-key', secret: 'k' }, timeoutMs: 2000 });
  const scanRequest = () => ({ registry: { url: registry.url, authorization: 'Basic eDp5' }, artifact: { repository: 'c/app', digest: image.digest, mime_type: 'application/vnd.oci.image.manifest.v1+json' } });

  before(async () => {
    adapter = await startTrivyLikeAdapter({ apiKey: 'k', scanMs: 300 });
    registry = await startTestServer({ 'auth.mode': 'none' });
    image = await pushImage(registry.url, 'c/app', { seed: 'contract-1', tag: '1' });
  });
  after(async () => {
    await adapter.close();
    await registry.close();
  });

  test('metadata: Trivy capabilities and the database time', async () => {
    const m = await client().metadata();
    assert.equal(m.scanner.name, 'Trivy');
    assert.equal(m.properties?.['harbor.scanner-adapter/vulnerability-database-updated-at'], adapter.dbUpdatedAt);
  });

  test('a wrong API key is refused, not taken for an outage', async () => {
    const wrong = createAdapterClient({ url: adapter.url, auth: { kind: 'api-key', secret: 'nope' }, timeoutMs: 2000 });
    await assert.rejects(wrong.metadata(), (e: unknown) => e instanceof AdapterError && e.kind === 'refused' && e.status === 401);
  });

  test('302 without Refresh-After means "not ready, ask again in 5 s"; then a clean report omits severity and vulnerabilities', async () => {
    const id = await client().submit(scanRequest());
    const first = await client().report(id, MIME.vulnerabilityReport);
    assert.deepEqual(first, { kind: 'pending', retryAfterMs: DEFAULT_REFRESH_MS });
    await new Promise((r) => setTimeout(r, 500));
    const ready = await client().report(id, MIME.vulnerabilityReport);
    assert.equal(ready.kind, 'ready');
    const report = parseVulnerabilityReport((ready as { body: string }).body);
    assert.equal(report.severity, undefined);
    assert.equal(report.vulnerabilities, undefined);
    const summary = summarize(report, 'Critical');
    assert.equal(summary.failed, false);
    assert.deepEqual(summary.counts, { Critical: 0, High: 0, Medium: 0, Low: 0, Unknown: 0 });
    // The client sent exactly the Accept type the adapter serves.
    assert.ok(adapter.polls.every((p) => p.accept === MIME.vulnerabilityReport));
  });

  test('another Accept value is a 415: refused, with the type named', async () => {
    const id = await client().submit(scanRequest());
    await assert.rejects(client().report(id, 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0'), (e: unknown) => e instanceof AdapterError && e.kind === 'refused' && e.status === 415);
  });

  test('a failed scan is a 500 with the adapter error type: its message is kept', async () => {
    // The registry refuses the pull with these credentials (the repository does not exist there).
    const id = await client().submit({ ...scanRequest(), artifact: { ...scanRequest().artifact, repository: 'c/missing' } });
    await new Promise((r) => setTimeout(r, 500));
    const answer = await client().report(id, MIME.vulnerabilityReport);
    assert.equal(answer.kind, 'failed');
    assert.match((answer as { message: string }).message, /pull c\/missing@sha256:[0-9a-f]+ failed: 404/);
  });

  test('a forgotten job answers 404: unknown, to be resubmitted', async () => {
    adapter.forgetNext = 1;
    const id = await client().submit(scanRequest());
    assert.deepEqual(await client().report(id, MIME.vulnerabilityReport), { kind: 'unknown' });
  });

  test('bad scan requests: 422 for a missing digest is refused with the adapter message', async () => {
    await assert.rejects(client().submit({ ...scanRequest(), artifact: { repository: 'c/app', digest: '', mime_type: 'x' } }), (e: unknown) => e instanceof AdapterError && e.kind === 'refused' && e.status === 422 && /missing/.test(e.message));
  });

  test('an adapter that is down is unreachable', async () => {
    const dead = createAdapterClient({ url: 'http://127.0.0.1:1', auth: { kind: 'none' }, timeoutMs: 1000 });
    await assert.rejects(dead.metadata(), (e: unknown) => e instanceof AdapterError && e.kind === 'unreachable');
  });

  test('SBOM reports are asked for by media type', async () => {
    const id = await client().submit(scanRequest());
    await new Promise((r) => setTimeout(r, 500));
    const sbom = await client().report(id, MIME.sbomReport, 'application/spdx+json');
    assert.equal(sbom.kind, 'ready');
    assert.equal(JSON.parse((sbom as { body: string }).body).media_type, 'application/spdx+json');
  });
});
