/**
 * Performance guard: every statement the core role objects issue is answered from an index,
 * never by scanning a whole table. Runs each method once on SQLite with Kysely's query log,
 * then asks SQLite for the plan of each logged statement (EXPLAIN QUERY PLAN).
 *
 * Also no statement sorts its whole filtered set before LIMIT (USE TEMP B-TREE), and the hot
 * lookups (the gate's "which manifests reference this blob", referrers, tag lists) use the
 * index made for them. Not checked: `audit.list` with only a target prefix, which substr()
 * cannot serve from an index (an administrator's query, not on the push/pull path).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Sqlite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './tables/index.ts';
import { migrateToLatest } from './db.ts';
import { createCoreRoles, createSqlStore } from './sql-store.ts';
import { coreMigrations } from './migrations/index.ts';
import { dg, imageManifest } from './suite/context.ts';

test('core role objects never scan a whole table', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lazaret-plans-'));
  const sqlite = new Sqlite(join(dir, 'plans.db'));
  sqlite.pragma('foreign_keys = ON');
  const logged: { sql: string; parameters: readonly unknown[]; method: string }[] = [];
  let method = 'migrate';
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: sqlite }),
    log: (e) => void (e.level === 'query' && logged.push({ sql: e.query.sql, parameters: e.query.parameters, method })),
  });
  try {
    await migrateToLatest(db, coreMigrations);
    const store = createSqlStore(db, 'sqlite', { createRoles: createCoreRoles });
    const calls: Record<string, () => Promise<unknown>> = {
      'blobs.link': () => store.blobs.link('a/b', dg('l'), 1),
      'blobs.get': () => store.blobs.get('a/b', dg('l')),
      'blobs.isLinkedAnywhere': () => store.blobs.isLinkedAnywhere(dg('l')),
      'manifests.put': () => store.manifests.put('a/b', { ...imageManifest('m'), subject: dg('s'), artifactType: 'x' }),
      'manifests.put (index)': () => store.manifests.put('a/b', { ...imageManifest('i', []), children: [{ digest: dg('m') }] }),
      'manifests.put (again)': () => store.manifests.put('a/b', imageManifest('m')),
      'manifests.get': () => store.manifests.get('a/b', dg('m')),
      'manifests.list': () => store.manifests.list('a/b', { last: dg('a'), n: 10 }),
      'manifests.list timedesc': () => store.manifests.list('a/b', { orderBy: 'timedesc', last: dg('m'), n: 10 }),
      'manifests.referrers': () => store.manifests.referrers('a/b', dg('s'), 'x'),
      'manifests.referencingBlob': () => store.manifests.referencingBlob('a/b', dg('m-layer')),
      'manifests.parentsOf': () => store.manifests.parentsOf('a/b', dg('m')),
      'manifests.updateAttributes': () => store.manifests.updateAttributes('a/b', dg('m'), { readEnabled: false }),
      'tags.put': () => store.tags.put('a/b', 'v1', dg('m')),
      'tags.get': () => store.tags.get('a/b', 'v1'),
      'tags.list': () => store.tags.list('a/b', { last: 'a', n: 10 }),
      'tags.list timeasc': () => store.tags.list('a/b', { orderBy: 'timeasc', last: 'v1' }),
      'tags.list digest': () => store.tags.list('a/b', { digest: dg('m') }),
      'tags.listListable': () => store.tags.listListable('a/b', { n: 10 }),
      'tags.listListable after': () => store.tags.listListable('a/b', { last: 'a', n: 10 }),
      'tags.updateAttributes': () => store.tags.updateAttributes('a/b', 'v1', { writeEnabled: false }),
      'repositories.list': () => store.repositories.list({ last: 'a', n: 5 }),
      'repositories.listListable': () => store.repositories.listListable({ last: 'a', n: 5 }),
      'repositories.counts': () => store.repositories.counts('a/b'),
      'uploads.create': () => store.uploads.create(randomUUID(), 'a/b'),
      'uploads.open': () => store.uploads.open(randomUUID(), 'a/b', { openedBy: 'someone', maxPerPrincipal: 10, maxPerRepository: 10 }),
      'uploads.listStale': () => store.uploads.listStale(new Date()),
      'settings.set': () => store.settings.set('k', 1),
      'settings.get': () => store.settings.get('k'),
      'audit.append': () => store.audit.append({ actor: 'a', action: 'b', target: 'c' }),
      'audit.list': () => store.audit.list({ actor: 'a', action: 'b', n: 5 }),
      'tags.delete': () => store.tags.delete('a/b', 'v1'),
      'manifests.delete': () => store.manifests.delete('a/b', dg('i')),
      'blobs.unlink': () => store.blobs.unlink('a/b', dg('l')),
      'repositories.delete': () => store.repositories.delete('a/b'),
    };
    for (const [name, call] of Object.entries(calls)) {
      method = name;
      await call();
    }
    const problems: string[] = [];
    const plans = new Map<string, string[]>();
    let checked = 0;
    for (const q of logged) {
      if (q.method === 'migrate' || !/^\s*(select|update|delete)/i.test(q.sql)) continue;
      checked++;
      const plan = (sqlite.prepare(`explain query plan ${q.sql}`).all(...(q.parameters as unknown[])) as { detail: string }[]).map((p) => p.detail);
      plans.set(q.method, [...(plans.get(q.method) ?? []), ...plan]);
      for (const detail of plan) {
        // A whole-table scan, or sorting a whole filtered set before LIMIT can apply.
        if (/^SCAN \w+$/.test(detail) || /TEMP B-TREE/.test(detail)) problems.push(`${q.method}: ${detail} in ${q.sql}`);
      }
    }
    assert.ok(checked > 30, `only ${checked} statements were checked`);
    assert.deepEqual(problems, []);
    // The hot lookups use the index made for them (not a walk of the repository's primary key).
    const expected: Record<string, RegExp> = {
      'manifests.referencingBlob': /manifest_blobs_blob \(repository=\? AND blob=\?\)/,
      'manifests.parentsOf': /manifest_children_child \(repository=\? AND child=\?\)/,
      'manifests.referrers': /manifests_subject \(repository=\? AND subject=\?\)/,
      'tags.list digest': /tags_digest \(repository=\? AND digest=\?\)/,
      'tags.list timeasc': /tags_updated \(repository=\? AND \(updated_at,name\)>\(\?,\?\)\)/,
      'manifests.list timedesc': /manifests_updated \(repository=\? AND \(updated_at,digest\)<\(\?,\?\)\)/,
      'tags.get': /\(repository=\? AND name=\?\)/,
      // The tags list walks the tags' key from the cursor (no sort of the repository's tags)
      // and finds each manifest by its key.
      'tags.listListable after': /^SEARCH t USING INDEX sqlite_autoindex_tags_1 \(repository=\? AND name>\?\)$/,
      'tags.listListable': /^SEARCH m USING (COVERING )?INDEX sqlite_autoindex_manifests_1 \(repository=\? AND digest=\?\)$/,
      'blobs.isLinkedAnywhere': /blob_links_by_digest \(digest=\?\)/,
    };
    for (const [name, re] of Object.entries(expected)) {
      assert.ok((plans.get(name) ?? []).some((d) => re.test(d)), `${name}: ${JSON.stringify(plans.get(name))}`);
    }
  } finally {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
