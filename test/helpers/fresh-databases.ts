/**
 * A fresh, empty database on each dialect, for tests of one migration on data from before it:
 * a SQLite file in a temporary directory and a PostgreSQL schema of its own, both removed
 * afterwards. `raw()` opens it without migrating (a test brings it to "before"), `store()` opens
 * the migrated store (the migration under test runs there). The test closes what it opens.
 */
import { describe, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { openPostgresStore, openSqliteStore, type MetadataStore } from '../../src/persistence/index.ts';
import { openPostgres, openSqlite } from '../../src/metadata/db.ts';
import { dropTestSchema, postgresReachable, skipUnless, TEST_DATABASE_URL } from './environment.ts';

export interface FreshDatabase {
  raw(): Promise<Kysely<any>>;
  store(): Promise<MetadataStore>;
}

const pgSkip = skipUnless(await postgresReachable(), `PostgreSQL not reachable at ${TEST_DATABASE_URL}`);

/** `describe(title)` with one test per dialect, each running `body` on a fresh database. */
export function onEachDialect(title: string, body: (db: FreshDatabase) => Promise<void>): void {
  describe(title, () => {
    test('SQLite', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'lazaret-migration-'));
      const file = join(dir, 'lazaret.db');
      try {
        await body({ raw: async () => openSqlite(file), store: () => openSqliteStore(file) });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('PostgreSQL', { skip: pgSkip }, async () => {
      const schema = `lazaret_migration_${randomBytes(6).toString('hex')}`;
      try {
        await body({ raw: () => openPostgres({ connectionString: TEST_DATABASE_URL, schema }), store: () => openPostgresStore({ connectionString: TEST_DATABASE_URL, schema }) });
      } finally {
        await dropTestSchema(schema);
      }
    });
  });
}
