/**
 * /readyz over real HTTP: ready while the database, the blob store and the schema are in
 * order; 503 naming the failed check when the blob store cannot be written, when PostgreSQL is
 * unreachable (through a TCP proxy the test cuts) or when a newer version migrated the
 * database; ready again once each comes back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { rawSqlite } from './helpers/raw-db.ts';
import { startTestServer } from './helpers/server.ts';
import { startTcpProxy } from './helpers/tcp-proxy.ts';
import { TEST_DATABASE_URL, dropTestSchema, postgresReachable, skipUnless } from './helpers/environment.ts';

async function readyz(url: string): Promise<{ status: number; body: any }> {
  const res = await request(`${url}/readyz`);
  return { status: res.statusCode, body: await res.body.json() };
}

test('ready with every check passing; 503 naming the blob store when it cannot be written; ready again after', async () => {
  const s = await startTestServer({ 'auth.mode': 'none', 'readiness.blobProbeCacheSeconds': 0 });
  const blobs = join(s.dataDir, 'blobs');
  try {
    const ok = await readyz(s.url);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.status, 'ready');
    assert.deepEqual([ok.body.database.ok, ok.body.blobStore.ok, ok.body.migrations.ok], [true, true, true]);
    // The store's folder replaced by a file: every write fails (also as root, unlike chmod).
    mkdirSync(blobs, { recursive: true });
    renameSync(blobs, `${blobs}.away`);
    writeFileSync(blobs, 'not a directory');
    const down = await readyz(s.url);
    assert.equal(down.status, 503);
    assert.equal(down.body.status, 'not ready');
    assert.equal(down.body.blobStore.ok, false);
    assert.equal(typeof down.body.blobStore.error, 'string');
    assert.equal(down.body.database.ok, true);
    rmSync(blobs);
    renameSync(`${blobs}.away`, blobs);
    assert.equal((await readyz(s.url)).status, 200);
  } finally {
    await s.close();
  }
});

test('a successful blob probe is trusted for blobProbeCacheSeconds; the probe leaves no blob behind', async () => {
  const s = await startTestServer({ 'auth.mode': 'none', 'readiness.blobProbeCacheSeconds': 300 });
  try {
    const first = await readyz(s.url);
    assert.equal(first.body.blobStore.cached, undefined);
    const second = await readyz(s.url);
    assert.equal(second.body.blobStore.cached, true);
    const snapshot = await s.services.store.operations.snapshot();
    assert.equal(snapshot.blobs.count, 0);
  } finally {
    await s.close();
  }
});

test('503 naming the migrations when a newer version migrated the database; ready after it is gone', async () => {
  const s = await startTestServer({ 'auth.mode': 'none' });
  try {
    const db = rawSqlite(s.dataDir);
    db.prepare("insert into kysely_migration (name, timestamp) values ('999-future', ?)").run(new Date().toISOString());
    const down = await readyz(s.url);
    assert.equal(down.status, 503);
    assert.equal(down.body.migrations.ok, false);
    assert.match(down.body.migrations.error, /newer version.*999-future/);
    db.prepare("delete from kysely_migration where name = '999-future'").run();
    db.close();
    assert.equal((await readyz(s.url)).status, 200);
  } finally {
    await s.close();
  }
});

test('PostgreSQL unreachable: 503 naming the database; ready again when it is back', { skip: skipUnless(await postgresReachable(), `PostgreSQL not reachable at ${TEST_DATABASE_URL}`) }, async () => {
  const target = new URL(TEST_DATABASE_URL);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const viaProxy = new URL(TEST_DATABASE_URL);
  viaProxy.port = String(proxy.port);
  const schema = `readyz_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  viaProxy.searchParams.set('schema', schema);
  const s = await startTestServer({ 'auth.mode': 'none', databaseUrl: viaProxy.toString() });
  try {
    assert.equal((await readyz(s.url)).status, 200);
    await proxy.cut();
    const down = await readyz(s.url);
    assert.equal(down.status, 503);
    assert.equal(down.body.database.ok, false);
    assert.equal(down.body.migrations.ok, false);
    await proxy.restore();
    let back = await readyz(s.url);
    // The pool may hand out one connection that died with the cut before it notices.
    if (back.status !== 200) back = await readyz(s.url);
    assert.equal(back.status, 200, JSON.stringify(back.body));
  } finally {
    await s.close();
    await proxy.cut();
    await dropTestSchema(schema);
  }
});
