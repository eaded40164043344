import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { openSqlite, type QueryObserver } from './db.ts';

type Seen = Parameters<QueryObserver>[0];

test('SQLite queries reach the observer once each: SQL text, duration, failures, streamed queries when drained', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lazaret-dbobs-'));
  const seen: Seen[] = [];
  const db = openSqlite(join(dir, 'x.db'), (e) => seen.push(e)) as unknown as Kysely<Record<string, { x: number }>>;
  try {
    await sql`create table t (x integer primary key)`.execute(db);
    await db.insertInto('t').values([{ x: 1 }, { x: 2 }]).execute();
    // The same statement twice: served from the statement cache and still observed each time.
    for (let i = 0; i < 2; i++) assert.equal((await db.selectFrom('t').selectAll().execute()).length, 2);
    await assert.rejects(db.insertInto('t').values({ x: 1 }).execute(), /UNIQUE/);
    const rows: unknown[] = [];
    for await (const row of db.selectFrom('t').select('x').stream()) rows.push(row);
    assert.equal(rows.length, 2);
    assert.deepEqual(seen.map((e) => [e.sql.split(' ')[0], e.error === undefined]), [
      ['create', true], ['insert', true], ['select', true], ['select', true], ['insert', false], ['select', true],
    ]);
    assert.ok(seen.every((e) => e.durationMs >= 0 && e.durationMs < 10_000));
    assert.match(String(seen[4]!.error), /UNIQUE constraint failed/);
    assert.ok(!seen.some((e) => e.sql.includes('1, 2')), 'parameters are never part of the text');
  } finally {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
