/**
 * The registry on PostgreSQL end to end: a real server whose metadata lives in a fresh
 * PostgreSQL schema (LAZARET_DATABASE_URL=postgres://...?schema=...) takes a push, serves the
 * pull, survives a restart on the same schema and data directory, and deletes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startTestServer } from './helpers/server.ts';
import { createRegistryClient, OCI } from './helpers/registry-client.ts';
import { skipUnless, TEST_DATABASE_URL, postgresReachable, dropTestSchema } from './helpers/environment.ts';


test('push, pull, restart and delete with PostgreSQL metadata', { skip: skipUnless(await postgresReachable(), `PostgreSQL not reachable at ${TEST_DATABASE_URL}`) }, async () => {
  const schema = `lazaret_e2e_${randomBytes(5).toString('hex')}`;
  const databaseUrl = `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}schema=${schema}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'lazaret-pg-e2e-'));
  const overrides = { 'auth.mode': 'none', databaseUrl };
  try {
    let server = await startTestServer(overrides, { dataDir });
    assert.equal(server.services.store.dialect, 'postgres');
    let client = createRegistryClient(server.url);
    const image = await client.pushImage('team/app/web', 'v1', { layers: ['layer one', 'layer two'] });
    await client.pushManifest('team/app/web', 'v1-alias', image.manifestBytes, OCI.manifest);
    // The operations snapshot (metrics, status) on PostgreSQL: the scan backlog's FILTER counts and min over bigint.
    await server.services.store.scanJobs.enqueue({ repository: 'team/app/web', digest: image.digest, mediaType: OCI.manifest, kind: 'image', reason: 'manual' });
    const { scans } = await server.services.store.operations.snapshot();
    assert.equal(scans.queued, 1);
    assert.equal(scans.running, 0);
    assert.ok(scans.oldestActiveAt && Math.abs(Date.now() - scans.oldestActiveAt.getTime()) < 60_000, String(scans.oldestActiveAt));
    await client.close();
    await server.close();

    server = await startTestServer(overrides, { dataDir });
    client = createRegistryClient(server.url);
    try {
      const manifest = await client.req('GET', '/v2/team/app/web/manifests/v1', { headers: { accept: OCI.manifest } });
      assert.equal(manifest.status, 200, manifest.text());
      assert.deepEqual(manifest.body, image.manifestBytes);
      const layer = await client.req('GET', `/v2/team/app/web/blobs/${image.manifest.layers[1].digest}`);
      assert.equal(layer.text(), 'layer two');
      const tags = await client.req('GET', '/v2/team/app/web/tags/list');
      assert.deepEqual(tags.json().tags, ['v1', 'v1-alias']);

      const deleted = await client.req('DELETE', `/v2/team/app/web/manifests/${image.digest}`);
      assert.equal(deleted.status, 202, deleted.text());
      const after = await client.req('GET', '/v2/team/app/web/tags/list');
      assert.deepEqual(after.json().tags ?? [], []);
      assert.equal((await server.services.store.manifests.get('team/app/web', image.digest as never)), undefined);
    } finally {
      await client.close();
      await server.close();
    }
    // The data really was in PostgreSQL, in our schema.
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      const { rows } = await admin.query(`select count(*)::int as n from "${schema}".repositories where name = 'team/app/web'`);
      assert.equal(rows[0].n, 1);
    } finally {
      await admin.end();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    await dropTestSchema(schema);
  }
});
