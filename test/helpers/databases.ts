/**
 * The two metadata databases a suite can run on: SQLite always, PostgreSQL (in a schema of its
 * own, dropped afterwards) where the test server is reachable; never skipped under CI=true.
 *
 *   for (const database of DATABASES) {
 *     const db = onDatabase(database, 'mysuite');
 *     describe(`... (${database})`, { skip: db.skip }, () => { ...config: { ...db.config }; after(db.drop) });
 *   }
 */
import { randomBytes } from 'node:crypto';
import { dropTestSchema, postgresReachable, skipUnless, TEST_DATABASE_URL } from './environment.ts';

export const DATABASES = ['sqlite', 'postgres'] as const;
export type Database = (typeof DATABASES)[number];

const postgresUp = await postgresReachable();

export function onDatabase(database: Database, prefix: string) {
  const schema = `lazaret_${prefix}_${randomBytes(5).toString('hex')}`;
  const postgres = database === 'postgres';
  return {
    skip: postgres ? skipUnless(postgresUp, `PostgreSQL not reachable at ${TEST_DATABASE_URL}`) : false,
    /** Server config overrides: the schema's URL on PostgreSQL, nothing on SQLite (the data dir's file). */
    config: postgres ? { databaseUrl: `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}schema=${schema}` } : {},
    /** Drops the schema; after the server has closed. */
    drop: async () => {
      if (postgres) await dropTestSchema(schema);
    },
  };
}
