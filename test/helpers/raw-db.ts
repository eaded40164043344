/** The SQLite file of a test server's data dir, opened directly (to fake what another version did). */
import Sqlite from 'better-sqlite3';
import { join } from 'node:path';

export function rawSqlite(dataDir: string): Sqlite.Database {
  const db = new Sqlite(join(dataDir, 'lazaret.db'));
  db.pragma('busy_timeout = 5000');
  return db;
}
