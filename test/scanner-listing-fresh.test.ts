/**
 * `GET /api/v1/scanners` (and `lazaret scanner list`) shows health and the vulnerability
 * database time at most a few seconds old, not up to the health monitor's interval: a listing
 * re-reads the metadata of scanners last checked more than 5 s ago, and a hung adapter delays
 * the answer by at most 2 s (the check goes on behind it).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from './helpers/server.ts';
import { adminAuth, startTokenServer } from './helpers/identities.ts';
import { call } from './helpers/quarantine-fixtures.ts';
import { startTrivyLikeAdapter, type TrivyLikeAdapter } from './helpers/trivy-like-adapter.ts';

let s: TestServer;
let adapter: TrivyLikeAdapter;
const admin = { authorization: adminAuth() };
const listed = async () => {
  const r = await call(s.url, 'GET', '/api/v1/scanners', { headers: admin });
  assert.equal(r.status, 200, r.text);
  return r.body.scanners.find((x: any) => x.name === 'trivy');
};

before(async () => {
  // The monitor's own interval is an hour: only the listing can make the new time show.
  s = await startTokenServer({ 'scanner.builtin': false, 'scanner.healthIntervalSeconds': 3600, 'scanner.requestTimeoutSeconds': 30 });
  adapter = await startTrivyLikeAdapter({ dbUpdatedAt: '2026-11-30T06:12:00Z' });
  const r = await call(s.url, 'POST', '/api/v1/scanners', { headers: admin, body: { name: 'trivy', url: adapter.url } });
  assert.equal(r.status, 201, r.text);
});
after(async () => {
  await s.close();
  await adapter.close();
});

test('a listing shows a database update within seconds, and a fresh check is not repeated', async () => {
  adapter.dbUpdatedAt = '2026-12-02T06:00:00Z';
  assert.equal((await listed()).vulnerabilityDatabaseUpdatedAt, '2026-11-30T06:12:00.000Z', 'checked at registration, less than 5 s ago: not re-read');
  await new Promise((r) => setTimeout(r, 5_200));
  assert.equal((await listed()).vulnerabilityDatabaseUpdatedAt, '2026-12-02T06:00:00.000Z');
});

test('a hung adapter does not hold the listing: it answers with what is known', async () => {
  adapter.hangMetadata = true;
  adapter.dbUpdatedAt = '2026-12-03T06:00:00Z';
  await new Promise((r) => setTimeout(r, 5_200));
  // Without the cap this request would wait for the 30 s request timeout and the test's own
  // 10 s client timeout would fail it.
  const controller = AbortSignal.timeout(10_000);
  const r = await fetch(`${s.url}/api/v1/scanners`, { headers: admin, signal: controller });
  assert.equal(r.status, 200);
  const trivy = (await r.json()).scanners.find((x: any) => x.name === 'trivy');
  assert.equal(trivy.vulnerabilityDatabaseUpdatedAt, '2026-12-02T06:00:00.000Z', 'the last known time');
  assert.equal(trivy.health.state, 'healthy');
});
