/**
 * Builds a new database file from feed files and swaps it in atomically.
 *
 * The current file is copied to a temporary one in the same directory, the sources named by
 * complete exports (an OSV all.zip, the Debian tracker JSON, an Alpine secdb file) are replaced in
 * it, single OSV JSON files update the advisories they hold, other sources are kept (importing
 * Alpine after Debian keeps Debian), and the result is renamed over `vulndb.sqlite`. Readers keep the file they
 * have open until they notice the new inode (database.ts). Any error (a corrupt feed, a full
 * disk) deletes the temporary file: the database in use is never touched.
 */
import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Severity } from '../types.ts';
import { createSchema, readMeta, SCHEMA_VERSION, writeMeta } from './schema.ts';
import { databaseFile, tempFile } from './paths.ts';
import { acquireWriteLock } from './lock.ts';
import { countUnits, listFeedFiles, readFeeds, type FeedBatch } from './feeds/sources.ts';
import type { AdvisoryRecord } from './records.ts';
import { severityRank } from './severity.ts';

export interface ImportProgress {
  file: string;
  done: number;
  total: number;
  advisories: number;
}

export interface ImportOptions {
  dir: string;
  paths: string[];
  /** Start from an empty database instead of keeping the sources not named by these feeds. */
  replace?: boolean;
  onProgress?: (p: ImportProgress) => void;
  now?: () => Date;
}

export interface ImportedSource {
  name: string;
  advisories: number;
  builtAt?: string;
}

export interface ImportResult {
  sources: ImportedSource[];
  advisories: number;
  generation: number;
  /** OSV ecosystems present in the feeds that the scanner does not match, with entry counts. */
  skippedEcosystems: Record<string, number>;
}

/** Writes data into a temp copy and renames it into place; shared by import and pull. */
export function fsyncPath(path: string) {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function swapIntoPlace(dir: string, tmp: string) {
  fsyncPath(tmp);
  renameSync(tmp, databaseFile(dir));
  fsyncPath(dir);
}

/** Removes temporary files left by a writer that died (the caller holds the lock). */
export function removeStaleTemps(dir: string) {
  for (const name of readdirSync(dir)) if (/^vulndb\.sqlite\..*\.tmp$/.test(name)) unlinkSync(join(dir, name));
}

class Writer {
  private readonly seen = new Set<string>();
  private readonly cleared = new Set<string>();
  /** Single-file updates seen in this import, per source: a later complete export keeps them. */
  private readonly updates = new Map<string, { r: AdvisoryRecord; batch: FeedBatch }[]>();
  readonly sources = new Map<string, { files: Set<string>; builtAt?: string }>();
  private readonly insertAdvisory;
  private readonly insertAffected;
  private readonly clearSource;
  private readonly clearAffected;
  advisories = 0;

  constructor(db: Database.Database) {
    this.insertAdvisory = db.prepare(
      'INSERT OR REPLACE INTO advisories (source, id, aliases, title, description, severity, cvss_score, cvss_vector, links, modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertAffected = db.prepare('INSERT INTO affected (source, advisory_id, ecosystem, distro, package, ranges, versions, severity) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.clearSource = [db.prepare('DELETE FROM advisories WHERE source = ?'), db.prepare('DELETE FROM affected WHERE source = ?'), db.prepare('DELETE FROM sources WHERE name = ?')];
    this.clearAffected = db.prepare('DELETE FROM affected WHERE source = ? AND advisory_id = ?');
  }

  add(batch: FeedBatch) {
    for (const r of batch.records) this.addRecord(r, batch);
  }

  private addRecord(r: AdvisoryRecord, batch: FeedBatch) {
    if (batch.snapshot && !this.cleared.has(r.source)) {
      // A complete export (all.zip, tracker, secdb): its first record of a source replaces
      // everything that source had. Single OSV files update their advisories only.
      for (const stmt of this.clearSource) stmt.run(r.source);
      this.cleared.add(r.source);
      const earlier = this.updates.get(r.source) ?? [];
      this.updates.delete(r.source);
      for (const u of earlier) {
        this.seen.delete(`${u.r.source}\0${u.r.id}`);
        this.addRecord(u.r, u.batch);
      }
    }
    if (!batch.snapshot) {
      const list = this.updates.get(r.source) ?? [];
      list.push({ r, batch });
      this.updates.set(r.source, list);
    }
    const src = this.sources.get(r.source) ?? { files: new Set<string>() };
    src.files.add(batch.file);
    const stamp = batch.format === 'osv' ? r.modified : batch.mtime.toISOString();
    if (stamp && (!src.builtAt || stamp > src.builtAt)) src.builtAt = normalizeTime(stamp);
    this.sources.set(r.source, src);
    const key = `${r.source}\0${r.id}`;
    if (!this.seen.has(key)) {
      this.seen.add(key);
      this.clearAffected.run(r.source, r.id);
      this.insertAdvisory.run(r.source, r.id, JSON.stringify(r.aliases), r.title ?? null, r.description ?? null, r.severity, r.cvssScore ?? null, r.cvssVector ?? null, JSON.stringify(r.links), r.modified ?? null);
      this.advisories++;
    }
    for (const a of r.affected) {
      this.insertAffected.run(r.source, r.id, a.ecosystem, a.distro, a.package, JSON.stringify(a.ranges), JSON.stringify(a.versions), a.severity ?? null);
    }
  }
}

const normalizeTime = (t: string) => {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? t : d.toISOString();
};

/** The best severity per id and alias: a CVSS score beats a label, a higher one a lower one. */
function rebuildIdSeverity(db: Database.Database) {
  type Best = { severity: Severity; score: number | null; vector: string | null };
  const best = new Map<string, Best>();
  const better = (a: Best, b: Best | undefined) => {
    if (!b) return true;
    if ((a.score !== null) !== (b.score !== null)) return a.score !== null;
    if (a.score !== null && b.score !== null && a.score !== b.score) return a.score > b.score;
    return severityRank(a.severity) > severityRank(b.severity);
  };
  const offer = (id: string, v: Best) => {
    if (better(v, best.get(id))) best.set(id, v);
  };
  for (const row of db.prepare("SELECT id, aliases, severity, cvss_score AS score, cvss_vector AS vector FROM advisories WHERE severity != 'Unknown'").iterate() as Iterable<{
    id: string;
    aliases: string;
    severity: Severity;
    score: number | null;
    vector: string | null;
  }>) {
    const v = { severity: row.severity, score: row.score, vector: row.vector };
    offer(row.id, v);
    for (const alias of JSON.parse(row.aliases) as string[]) offer(alias, v);
  }
  for (const row of db.prepare('SELECT DISTINCT advisory_id AS id, severity FROM affected WHERE severity IS NOT NULL').iterate() as Iterable<{ id: string; severity: Severity }>) {
    offer(row.id, { severity: row.severity, score: null, vector: null });
  }
  db.prepare('DELETE FROM id_severity').run();
  const put = db.prepare('INSERT INTO id_severity (id, severity, cvss_score, cvss_vector) VALUES (?, ?, ?, ?)');
  for (const [id, v] of best) put.run(id, v.severity, v.score, v.vector);
}

export async function importFeeds(options: ImportOptions): Promise<ImportResult> {
  const { dir } = options;
  const now = options.now ?? (() => new Date());
  mkdirSync(dir, { recursive: true });
  const files = listFeedFiles(options.paths);
  const total = await countUnits(files);
  const release = acquireWriteLock(dir);
  const tmp = tempFile(dir);
  let db: Database.Database | undefined;
  try {
    removeStaleTemps(dir);
    const current = databaseFile(dir);
    if (!options.replace && existsSync(current)) copyFileSync(current, tmp);
    db = new Database(tmp);
    // A private file until the rename: no journal needed; a crash just leaves a temp file.
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    createSchema(db);
    const previous = readMeta(db);
    if (previous.schemaVersion > SCHEMA_VERSION) throw new Error(`the database in ${dir} has schema ${previous.schemaVersion}, newer than this Lazaret (${SCHEMA_VERSION})`);
    const writer = new Writer(db);
    const stats = { skippedEcosystems: new Map<string, number>() };
    let done = 0;
    db.exec('BEGIN');
    for await (const batch of readFeeds(files, stats)) {
      writer.add(batch);
      done += batch.units;
      options.onProgress?.({ file: batch.file, done, total, advisories: writer.advisories });
    }
    const importedAt = now().toISOString();
    const count = db.prepare('SELECT COUNT(*) AS n FROM advisories WHERE source = ?');
    const putSource = db.prepare('INSERT OR REPLACE INTO sources (name, built_at, imported_at, files, advisories) VALUES (?, ?, ?, ?, ?)');
    const oldSource = db.prepare('SELECT built_at AS builtAt, files FROM sources WHERE name = ?');
    const sources: ImportedSource[] = [];
    for (const [name, s] of writer.sources) {
      const n = (count.get(name) as { n: number }).n;
      // An update of some advisories keeps what the source already had (files, newer build time).
      const old = oldSource.get(name) as { builtAt: string | null; files: string } | undefined;
      const builtAt = [s.builtAt, old?.builtAt ?? undefined].filter((t): t is string => !!t).sort().pop();
      const fileList = [...new Set([...(old ? (JSON.parse(old.files) as string[]) : []), ...s.files])];
      putSource.run(name, builtAt ?? null, importedAt, JSON.stringify(fileList), n);
      sources.push({ name, advisories: n, builtAt });
    }
    if (sources.length === 0) throw new Error(`no advisories for the ecosystems the scanner matches in ${options.paths.join(', ')}`);
    rebuildIdSeverity(db);
    const builtAt = (db.prepare('SELECT MAX(built_at) AS t FROM sources').get() as { t: string | null }).t;
    const advisories = (db.prepare('SELECT COUNT(*) AS n FROM advisories').get() as { n: number }).n;
    const generation = previous.generation + 1;
    writeMeta(db, { schema_version: SCHEMA_VERSION, generation, imported_at: importedAt, ...(builtAt ? { built_at: builtAt } : {}) });
    // Imported data on top of a pulled bundle is no longer that bundle.
    db.prepare("DELETE FROM meta WHERE key = 'pulled_from'").run();
    db.exec('COMMIT');
    db.pragma('journal_mode = DELETE');
    db.close();
    db = undefined;
    swapIntoPlace(dir, tmp);
    return { sources, advisories, generation, skippedEcosystems: Object.fromEntries(stats.skippedEcosystems) };
  } catch (err) {
    if (db?.open) db.close();
    if (existsSync(tmp)) unlinkSync(tmp);
    throw err;
  } finally {
    release();
  }
}
