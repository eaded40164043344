/**
 * The push race on one real server (SQLite, filesystem): pushes of images sharing layers
 * (monolithic, chunked and mounted blobs), deletes that make garbage, and garbage collection in
 * a loop with a zero grace period, for a few seconds (test/helpers/gc-race.ts). Afterwards
 * every accepted image that was not deleted pulls back byte for byte and no manifest references
 * a blob missing from the store. With the default in-flight window every push must succeed;
 * with none, a push may be refused (MANIFEST_BLOB_UNKNOWN / BLOB_UPLOAD_INVALID) but an
 * accepted one is never missing anything.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { createCollector } from '../src/lifecycle/gc/collector.ts';
import { MIN_PUSHES_EACH, race } from './helpers/gc-race.ts';

describe('garbage collection during pushes (the push race)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ 'auth.mode': 'none', 'gc.intervalSeconds': 0 });
  });
  after(async () => server?.close());

  test('default in-flight window: every push succeeds and pulls back byte for byte', async (t) => {
    const r = await race([server], server.services.gc);
    t.diagnostic(`attempted ${r.attempted}, kept ${r.kept}, deleted ${r.deleted}, gc runs ${r.runs}, blobs collected ${r.freed}`);
    assert.deepEqual(r.refused, [], 'no push refused');
    // Enough happened, whatever the load: every pusher got its pushes in (the race runs longer
    // on a slow machine), every accepted one was kept or deleted, and the collector ran meanwhile.
    assert.ok(r.attempted >= 3 * MIN_PUSHES_EACH && r.kept + r.deleted === r.attempted && r.runs > 3, `enough happened: ${JSON.stringify(r)}`);
    assert.ok(r.freed > 0, 'the collector did collect the deleted images meanwhile');
  });

  test('no in-flight window: a push may be refused, an accepted one is never missing a blob', async (t) => {
    const aggressive = createCollector({ store: server.services.store, blobs: server.services.blobs, logger: pino({ level: 'silent' }), settings: { gracePeriodMs: 0, inFlightMs: 0 } });
    const r = await race([server], aggressive);
    t.diagnostic(`attempted ${r.attempted}, kept ${r.kept}, deleted ${r.deleted}, refused ${r.refused.length} (${[...new Set(r.refused)].join('; ')}), gc runs ${r.runs}, blobs collected ${r.freed}`);
    for (const why of r.refused) assert.match(why, /^(manifest 400 MANIFEST_BLOB_UNKNOWN|blob upload 400)$/, 'refused cleanly');
    // Refusals are allowed, but a good share of the pushes must get through (relative to those attempted, so
    // the floor holds on a loaded machine and still fails when the collector refuses nearly all).
    // The collector paces itself under this traffic (small batches, each followed by a pause), so a
    // run over a store this busy takes a good part of the race: two whole runs and bytes freed
    // meanwhile are what show it raced the pushes.
    assert.ok(r.attempted >= 3 * MIN_PUSHES_EACH && r.kept + r.deleted >= r.attempted / 4 && r.runs >= 2, `enough happened: ${JSON.stringify({ ...r, refused: r.refused.length })}`);
    assert.ok(r.freed > 0, 'the collector did collect the deleted images meanwhile');
  });
});
