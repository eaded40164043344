import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openMetadataStore, openPostgresStore, postgresOptionsFromUrl } from './index.ts';
import { imageManifest, dg } from '../metadata/suite/context.ts';
import { openPostgresPool } from '../metadata/postgres-db.ts';
import { skipUnless, TEST_DATABASE_URL, postgresReachable, dropTestSchema } from '../../test/helpers/environment.ts';


test('without databaseUrl: SQLite at <dataDir>/lazaret.db, migrated, data survives a reopen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lazaret-open-'));
  try {
    const first = await openMetadataStore({}, dir);
    assert.equal(first.dialect, 'sqlite');
    assert.ok(existsSync(join(dir, 'lazaret.db')));
    await first.manifests.put('app/web', imageManifest('persisted'));
    await first.tags.put('app/web', 'v1', dg('persisted'));
    await first.close();
    await first.close(); // idempotent

    const second = await openMetadataStore({ databaseUrl: '' }, dir); // migrations re-run as no-ops
    assert.equal((await second.tags.get('app/web', 'v1'))?.digest, dg('persisted'));
    await second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a databaseUrl that is not postgres:// is a configuration error, not a silent SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lazaret-open-'));
  try {
    for (const url of ['mysql://x', 'sqlite:///tmp/x.db', 'postgress://x']) {
      await assert.rejects(openMetadataStore({ databaseUrl: url }, dir), /postgres:\/\//);
    }
    assert.ok(!existsSync(join(dir, 'lazaret.db')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the schema query parameter is split off the PostgreSQL URL', () => {
  assert.deepEqual(postgresOptionsFromUrl('postgres://u@127.0.0.1:5432/db?schema=reg_a&sslmode=disable'), {
    connectionString: 'postgres://u@127.0.0.1:5432/db?sslmode=disable',
    schema: 'reg_a',
  });
  assert.deepEqual(postgresOptionsFromUrl('postgresql://u@127.0.0.1/db'), { connectionString: 'postgresql://u@127.0.0.1/db' });
});

type OpenedStore = Awaited<ReturnType<typeof openMetadataStore>>;

test('postgres:// URL: PostgreSQL in the given schema, migrated, reopened with its data', { skip: skipUnless(await postgresReachable(), 'PostgreSQL not reachable') }, async () => {
  const schema = `lazaret_open_${randomBytes(5).toString('hex')}`;
  const url = `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}schema=${schema}`;
  // Every store opened is closed before the schema is dropped, and both opens are awaited even
  // when one fails: a migration still running after the drop once failed in this process and
  // took the PostgreSQL conformance suite down with it ("schema ... does not exist").
  const opened: OpenedStore[] = [];
  try {
    // Two servers starting at once on an empty schema: the migration lock serialises them.
    const both = await Promise.allSettled([openMetadataStore({ databaseUrl: url }, '/nonexistent'), openMetadataStore({ databaseUrl: url }, '/nonexistent')]);
    for (const r of both) if (r.status === 'fulfilled') opened.push(r.value);
    const failed = both.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [a, b] = opened as [OpenedStore, OpenedStore];
    assert.equal(a.dialect, 'postgres');
    await a.manifests.put('app/web', imageManifest('pg'));
    assert.ok(await b.manifests.get('app/web', dg('pg')));
    await Promise.all(opened.splice(0).map((s) => s.close()));
    const c = await openMetadataStore({ databaseUrl: url }, '/nonexistent');
    opened.push(c);
    assert.ok(await c.manifests.get('app/web', dg('pg')));
  } finally {
    await Promise.allSettled(opened.map((s) => s.close()));
    await dropTestSchema(schema);
  }
});

test('an invalid schema name is refused before any SQL', async () => {
  await assert.rejects(openMetadataStore({ databaseUrl: `${TEST_DATABASE_URL}?schema=x";drop` }, '/nonexistent'), /invalid PostgreSQL schema/);
});

test('PostgreSQL connections dropped by the server: no crash, the next query reconnects', { skip: skipUnless(await postgresReachable(), 'PostgreSQL not reachable') }, async () => {
  const schema = `lazaret_drop_${randomBytes(5).toString('hex')}`;
  const applicationName = `lazaret-test-${randomBytes(4).toString('hex')}`;
  const store = await openPostgresStore({ connectionString: TEST_DATABASE_URL, schema, applicationName });
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await store.repositories.ensure('before/drop');
    const { rowCount } = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [applicationName]);
    assert.ok((rowCount ?? 0) > 0, 'the pool had idle connections to drop');
    await new Promise((r) => setTimeout(r, 100)); // let the idle clients see their sockets close
    assert.ok(await store.repositories.get('before/drop'));
  } finally {
    await store.close();
    await admin.query(`drop schema if exists "${schema}" cascade`);
    await admin.end();
  }
});

test('migrating while other schemas of the database are dropped: the start never fails for their DDL', { skip: skipUnless(await postgresReachable(), 'PostgreSQL not reachable') }, async () => {
  // CI once failed here: Kysely's stock introspector resolved every table of every schema by
  // name, and a schema dropped meanwhile failed our migration with 42P01. Ours reads only the
  // connection's schema, by OID.
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  const tag = randomBytes(4).toString('hex');
  const churnSchemas = Array.from({ length: 4 }, (_, i) => `lazaret_churn_${tag}_${i}`);
  let churning = true;
  const churners = await Promise.all(churnSchemas.map(async () => {
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await c.connect();
    return c;
  }));
  // Each churner: a schema full of tables appears and vanishes, again and again, while the
  // stores below migrate.
  const churn = Promise.all(churnSchemas.map(async (s, i) => {
    const c = churners[i]!;
    while (churning) {
      await c.query(`create schema "${s}"; ${Array.from({ length: 30 }, (_, t) => `create table "${s}".t${t} (id serial primary key, v text);`).join(' ')}`);
      await c.query(`drop schema "${s}" cascade`);
    }
  }));
  const schemas: string[] = [];
  try {
    for (let i = 0; i < 8; i++) {
      const schema = `lazaret_mig_${tag}_${i}`;
      schemas.push(schema);
      const store = await openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
      try {
        await store.repositories.ensure('migrated/ok');
        assert.ok(await store.repositories.get('migrated/ok'));
      } finally {
        await store.close();
      }
    }
  } finally {
    churning = false;
    await churn;
    await Promise.all(churners.map((c) => c.end()));
    for (const s of [...schemas, ...churnSchemas]) await admin.query(`drop schema if exists "${s}" cascade`);
    await admin.end();
  }
});

test('the PostgreSQL introspector lists the connection schema only', { skip: skipUnless(await postgresReachable(), 'PostgreSQL not reachable') }, async () => {
  const tag = randomBytes(4).toString('hex');
  const mine = `lazaret_intro_${tag}_a`;
  const other = `lazaret_intro_${tag}_b`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create schema "${other}"; create table "${other}".kysely_migration (name text); create table "${other}".foreign_one (id int)`);
  await (await openPostgresStore({ connectionString: TEST_DATABASE_URL, schema: mine })).close(); // migrated
  const db = await openPostgresPool({ connectionString: TEST_DATABASE_URL, schema: mine }, {});
  try {
    const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
    assert.ok(tables.length > 5, 'our migrated tables are listed');
    assert.ok(tables.every((t) => t.schema === mine), 'nothing from another schema');
    assert.ok(tables.some((t) => t.name === 'kysely_migration'));
    assert.ok(!(await db.introspection.getTables()).some((t) => t.name.startsWith('kysely_')), 'internal tables hidden unless asked for');
    const repos = tables.find((t) => t.name === 'repositories');
    assert.ok(repos?.columns.some((c) => c.name === 'name' && !c.isNullable));
  } finally {
    await db.destroy();
    await admin.query(`drop schema if exists "${mine}" cascade; drop schema if exists "${other}" cascade`);
    await admin.end();
  }
});
