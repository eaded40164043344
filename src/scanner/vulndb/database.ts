/**
 * The database as the scanner server reads it (the VulnDatabase contract of ../types.ts).
 *
 * It opens `<dir>/vulndb.sqlite` read-only. Imports and pulls never write that file; they
 * rename a new one over it, so every call first stats the path (one syscall) and, when the
 * inode changed, opens the new file and closes the old: a running server uses new data at the
 * next scan without a restart, and a failed import leaves it on the old file. A directory
 * without a database opens fine and reports `loaded: false`.
 */
import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Finding, Inventory, Severity, VulnDatabase, VulnDbStatus } from '../types.ts';
import { databaseFile } from './paths.ts';
import { readMeta, SCHEMA_VERSION } from './schema.ts';
import { affectedBy, lookupKey, type LookupKey } from './match.ts';
import type { AffectedRange } from './records.ts';
import { maxSeverity, severityRank } from './severity.ts';
import { comparatorFor } from './versions/index.ts';

interface CandidateRow {
  id: string;
  /** What a finding reports: the CVE when the advisory names exactly one, and the other ids. */
  reportedId: string;
  reportedAliases?: string[];
  ranges: AffectedRange[];
  versions: string[];
  packageSeverity: Severity | null;
  aliases: string[];
  title: string | null;
  description: string | null;
  severity: Severity;
  cvssScore: number | null;
  cvssVector: string | null;
  links: string[];
}

interface Hit {
  row: CandidateRow;
  fixed?: string;
  severity: Severity;
  cvssScore?: number;
  cvssVector?: string;
}

interface RawRow {
  id: string;
  ranges: string;
  versions: string;
  packageSeverity: Severity | null;
  aliases: string;
  title: string | null;
  description: string | null;
  severity: Severity;
  cvssScore: number | null;
  cvssVector: string | null;
  links: string;
}

/** Parsed candidate rows per lookup key; bounded, dropped when a new file is opened. */
const CACHE_LIMIT = 200_000;

class OpenFile {
  readonly db: Database.Database;
  readonly generation: number;
  readonly status: VulnDbStatus;
  private readonly candidates;
  private readonly idSeverity;
  private readonly cache = new Map<string, CandidateRow[]>();
  /** Matched rows per (key, version): images share base layers, so the same package version recurs. */
  private readonly verdicts = new Map<string, Hit[]>();
  private readonly borrowed = new Map<string, { severity: Severity; cvssScore: number | null; cvssVector: string | null } | undefined>();

  constructor(
    path: string,
    readonly ino: number,
  ) {
    this.db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      const meta = readMeta(this.db);
      if (meta.schemaVersion !== SCHEMA_VERSION) throw new Error(`${path}: schema ${meta.schemaVersion}, expected ${SCHEMA_VERSION}`);
      this.generation = meta.generation;
      const sources = (this.db.prepare('SELECT name FROM sources ORDER BY name').all() as { name: string }[]).map((r) => r.name);
      const advisories = (this.db.prepare('SELECT COUNT(*) AS n FROM advisories').get() as { n: number }).n;
      this.status = { loaded: true, builtAt: meta.builtAt, importedAt: meta.importedAt, sources, advisories };
      this.candidates = this.db.prepare(`
        SELECT f.advisory_id AS id, f.ranges, f.versions, f.severity AS packageSeverity, a.aliases, a.title, a.description,
               a.severity, a.cvss_score AS cvssScore, a.cvss_vector AS cvssVector, a.links
        FROM affected f JOIN advisories a ON a.source = f.source AND a.id = f.advisory_id
        WHERE f.ecosystem = ? AND f.distro = ? AND f.package = ?`);
      this.idSeverity = this.db.prepare('SELECT severity, cvss_score AS cvssScore, cvss_vector AS cvssVector FROM id_severity WHERE id = ?');
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  rowsFor(key: LookupKey): CandidateRow[] {
    const k = `${key.ecosystem}\0${key.distro}\0${key.name}`;
    let rows = this.cache.get(k);
    if (!rows) {
      rows = (this.candidates.all(key.ecosystem, key.distro, key.name) as RawRow[]).map((r) => {
        const aliases = JSON.parse(r.aliases) as string[];
        // Report the CVE when the advisory is about exactly one (GHSA, GO, DSA records), as
        // Trivy does: the same issue then has the same id whichever feed found it.
        const cves = aliases.filter(isCve);
        const reportedId = !isCve(r.id) && cves.length === 1 ? cves[0]! : r.id;
        const others = [r.id, ...aliases].filter((a) => a !== reportedId);
        return {
          ...r,
          reportedId,
          reportedAliases: others.length > 0 ? others : undefined,
          ranges: JSON.parse(r.ranges) as AffectedRange[],
          versions: JSON.parse(r.versions) as string[],
          aliases,
          links: JSON.parse(r.links) as string[],
        };
      });
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(k, rows);
    }
    return rows;
  }

  matched(key: LookupKey): Hit[] {
    const k = `${key.ecosystem}\0${key.distro}\0${key.name}\0${key.version}`;
    let hits = this.verdicts.get(k);
    if (!hits) {
      hits = [];
      for (const row of this.rowsFor(key)) {
        const verdict = affectedBy(key.ecosystem, key.version, row.ranges, row.versions);
        if (verdict.affected) hits.push({ row, fixed: verdict.fixed, ...this.severityOf(row) });
      }
      if (this.verdicts.size >= CACHE_LIMIT) this.verdicts.clear();
      this.verdicts.set(k, hits);
    }
    return hits;
  }

  /** A row's severity and CVSS, borrowed from another source for the same id when it has none. */
  private severityOf(row: CandidateRow): { severity: Severity; cvssScore?: number; cvssVector?: string } {
    let severity: Severity = row.packageSeverity ?? row.severity;
    let cvssScore = row.cvssScore ?? undefined;
    let cvssVector = row.cvssVector ?? undefined;
    if (severity === 'Unknown' || cvssScore === undefined) {
      const borrowed = this.borrowedSeverity([row.id, ...row.aliases]);
      if (borrowed) {
        if (severity === 'Unknown') severity = borrowed.severity;
        cvssScore ??= borrowed.cvssScore ?? undefined;
        cvssVector ??= borrowed.cvssVector ?? undefined;
      }
    }
    return { severity, cvssScore, cvssVector };
  }

  borrowedSeverity(ids: string[]): { severity: Severity; cvssScore: number | null; cvssVector: string | null } | undefined {
    let best: { severity: Severity; cvssScore: number | null; cvssVector: string | null } | undefined;
    for (const id of ids) {
      let row = this.borrowed.get(id);
      if (!this.borrowed.has(id)) {
        row = this.idSeverity.get(id) as { severity: Severity; cvssScore: number | null; cvssVector: string | null } | undefined;
        if (this.borrowed.size >= CACHE_LIMIT) this.borrowed.clear();
        this.borrowed.set(id, row);
      }
      if (row && (!best || severityRank(row.severity) > severityRank(best.severity))) best = row;
    }
    return best;
  }

  close() {
    this.db.close();
  }
}

const isCve = (id: string) => id.startsWith('CVE-');

/**
 * One finding per vulnerability per package: an advisory seen under several ids (a DSA and its
 * CVE, a GHSA and its CVE) is merged, keeping the CVE id as the main id when there is one.
 */
function mergeFindings(findings: Finding[]): Finding[] {
  const out: Finding[] = [];
  const byPackage = new Map<string, Finding[]>();
  for (const f of findings) {
    const k = `${f.ecosystem}\0${f.package}\0${f.installedVersion}\0${f.layerDigest}`;
    const list = byPackage.get(k);
    if (!list) {
      byPackage.set(k, [f]);
      continue;
    }
    const ids = new Set([f.id, ...(f.aliases ?? [])]);
    const same = list.find((g) => ids.has(g.id) || (g.aliases ?? []).some((a) => ids.has(a)));
    if (!same) {
      list.push(f);
      continue;
    }
    const allIds = new Set([same.id, ...(same.aliases ?? []), ...ids]);
    const main = isCve(same.id) ? same.id : isCve(f.id) ? f.id : same.id;
    allIds.delete(main);
    same.id = main;
    same.aliases = [...allIds].sort();
    same.severity = maxSeverity(same.severity, f.severity);
    same.cvssScore ??= f.cvssScore;
    same.cvssVector ??= f.cvssVector;
    same.title ??= f.title;
    same.description ??= f.description;
    same.links = [...new Set([...same.links, ...f.links])];
    if (!same.fixedVersion) same.fixedVersion = f.fixedVersion;
    else if (f.fixedVersion) {
      const compare = comparatorFor(f.ecosystem);
      try {
        if (compare && compare(f.fixedVersion, same.fixedVersion) > 0) same.fixedVersion = f.fixedVersion;
      } catch {
        /* keep the first */
      }
    }
  }
  for (const list of byPackage.values()) out.push(...list);
  return out;
}

export function sortFindings(findings: Finding[]): Finding[] {
  // Plain code-unit order (not localeCompare): ids and names are ASCII, and this sort runs for
  // every finding of every re-matched image.
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return findings.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || cmp(a.id, b.id) || cmp(a.package, b.package));
}

export interface OpenOptions {
  /** The scanner data directory (LAZARET_SCANNER_DATA_DIR). */
  dir: string;
}

export function openVulnDatabase(options: OpenOptions): VulnDatabase & { readonly path: string } {
  const path = databaseFile(options.dir);
  let current: OpenFile | undefined;
  let closed = false;

  const refresh = (): OpenFile | undefined => {
    if (closed) throw new Error('the vulnerability database is closed');
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) {
      current?.close();
      current = undefined;
      return undefined;
    }
    if (current && current.ino === st.ino) return current;
    try {
      const next = new OpenFile(path, st.ino);
      current?.close();
      current = next;
    } catch {
      // An unreadable file (never produced by import, which renames only complete files):
      // keep serving what is open.
    }
    return current;
  };

  return {
    path,
    status() {
      return refresh()?.status ?? { loaded: false, sources: [], advisories: 0 };
    },
    generation() {
      return refresh()?.generation ?? 0;
    },
    match(inventory: Inventory): Finding[] {
      const file = refresh();
      if (!file) return [];
      const findings: Finding[] = [];
      for (const pkg of inventory.packages) {
        const key = lookupKey(pkg, inventory.os);
        if (!key) continue;
        for (const { row, fixed, severity, cvssScore, cvssVector } of file.matched(key)) {
          // Arrays are shared between findings of the same advisory (mergeFindings replaces,
          // never mutates, them): a re-match of many images allocates little.
          findings.push({
            id: row.reportedId,
            aliases: row.reportedAliases,
            package: pkg.name,
            ecosystem: pkg.ecosystem,
            installedVersion: pkg.version,
            fixedVersion: fixed,
            severity,
            cvssScore,
            cvssVector,
            title: row.title ?? undefined,
            description: row.description ?? undefined,
            links: row.links,
            layerDigest: pkg.layerDigest,
          });
        }
      }
      return sortFindings(mergeFindings(findings));
    },
    close() {
      closed = true;
      current?.close();
      current = undefined;
    },
  };
}
