/**
 * The vulnerability database file (SQLite, its own file beside the scanner's other state).
 * Rows are grouped by source so that importing a source again replaces exactly that source.
 * `affected_lookup` is the matching index: (ecosystem, distro, package).
 */
import type Database from 'better-sqlite3';

export const SCHEMA_VERSION = 1;

export function createSchema(db: Database.Database) {
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS sources (
      name TEXT PRIMARY KEY,
      built_at TEXT,
      imported_at TEXT NOT NULL,
      files TEXT NOT NULL,
      advisories INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS advisories (
      source TEXT NOT NULL,
      id TEXT NOT NULL,
      aliases TEXT NOT NULL,
      title TEXT,
      description TEXT,
      severity TEXT NOT NULL,
      cvss_score REAL,
      cvss_vector TEXT,
      links TEXT NOT NULL,
      modified TEXT,
      PRIMARY KEY (source, id)
    );
    CREATE TABLE IF NOT EXISTS affected (
      source TEXT NOT NULL,
      advisory_id TEXT NOT NULL,
      ecosystem TEXT NOT NULL,
      distro TEXT NOT NULL,
      package TEXT NOT NULL,
      ranges TEXT NOT NULL,
      versions TEXT NOT NULL,
      severity TEXT
    );
    CREATE INDEX IF NOT EXISTS affected_lookup ON affected (ecosystem, distro, package);
    CREATE INDEX IF NOT EXISTS affected_advisory ON affected (source, advisory_id);
    -- The best severity any source gives an id or alias, for advisories that carry none
    -- (Alpine secdb, Debian "not yet assigned"): rebuilt after each import.
    CREATE TABLE IF NOT EXISTS id_severity (
      id TEXT PRIMARY KEY,
      severity TEXT NOT NULL,
      cvss_score REAL,
      cvss_vector TEXT
    );
  `);
}

export interface MetaRow {
  schemaVersion: number;
  generation: number;
  importedAt?: string;
  builtAt?: string;
}

export function readMeta(db: Database.Database): MetaRow {
  const rows = db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[];
  const m = new Map(rows.map((r) => [r.key, r.value]));
  return {
    schemaVersion: Number(m.get('schema_version') ?? 0),
    generation: Number(m.get('generation') ?? 0),
    importedAt: m.get('imported_at'),
    builtAt: m.get('built_at'),
  };
}

export function writeMeta(db: Database.Database, values: Record<string, string | number>) {
  const put = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  for (const [k, v] of Object.entries(values)) put.run(k, String(v));
}
