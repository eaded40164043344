import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allMigrations, openSqliteStore } from './index.ts';
import { migrateToLatest, openSqlite } from '../metadata/db.ts';
import { coreMigrations } from '../metadata/migrations/index.ts';

// Kysely records migration names in kysely_migration: an existing database opens only if every
// recorded name is still in the list, in the same order. Modules own their migrations now; the
// names they landed with must not change.
test('the recorded migration names keep their names and their order', () => {
  const names = allMigrations().map(([name]) => name);
  assert.deepEqual(names.slice(0, 4), ['001-core', '002-identity', '003-quarantine', '004-events']);
  assert.deepEqual([...names].sort(), names);
  assert.equal(new Set(names).size, names.length);
});

test('a duplicated migration number from two modules is refused before anything runs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lazaret-migrations-'));
  const db = openSqlite(join(dir, 'x.db'));
  try {
    const core = coreMigrations[0]!;
    await assert.rejects(migrateToLatest(db, [core, ['001-core', core[1]]]), /out of order or duplicated: 001-core before 001-core/);
    const tables = await db.introspection.getTables();
    assert.deepEqual(tables.map((t) => t.name), []);
  } finally {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a database migrated before is opened again without running anything twice', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lazaret-migrations-'));
  try {
    const first = await openSqliteStore(join(dir, 'lazaret.db'));
    await first.repositories.ensure('a/b');
    await first.close();
    const again = await openSqliteStore(join(dir, 'lazaret.db'));
    assert.ok(await again.repositories.get('a/b'));
    assert.equal(typeof (await again.users.count()), 'number');
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
