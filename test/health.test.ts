import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startTestServer } from './helpers/server.ts';

test('GET /healthz answers without credentials while the stores answer, 503 when they do not', async () => {
  const s = await startTestServer({ 'auth.adminPassword': 'health-check-admin' });
  try {
    const ok = await request(`${s.url}/healthz`);
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(await ok.body.json(), { status: 'ok', database: 'sqlite' });
    // A closed metadata store is what a lost database looks like to the process.
    await s.services.store.close();
    const down = await request(`${s.url}/healthz`);
    assert.equal(down.statusCode, 503);
    assert.equal(((await down.body.json()) as any).errors[0].code, 'UNAVAILABLE');
  } finally {
    // The store is closed already; close() stops the background workers and the server.
    await s.close().catch(() => {});
  }
});
