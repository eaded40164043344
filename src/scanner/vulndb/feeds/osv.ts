/**
 * OSV records (https://ossf.github.io/osv-schema/): one JSON object per advisory, as in the
 * per-ecosystem `all.zip` exports and the osv.dev API. Ecosystems read: `npm`, `PyPI`, `Go`,
 * `Debian:N` and `Alpine:vX.Y`; affected entries of other ecosystems are skipped (counted).
 * Range types ECOSYSTEM and SEMVER are kept (GIT ranges name commits, not versions).
 */
import type { Ecosystem, Severity } from '../../types.ts';
import { FeedError, type AdvisoryRecord, type AffectedPackage, type AffectedRange, type RangeEvent } from '../records.ts';
import { cvssBaseScore, ratingOf, severityFromLabel } from '../severity.ts';
import { normalizePythonName } from '../versions/pep440.ts';
import { isObject } from './read-json.ts';

/** OSV ecosystem string -> our ecosystem and distro, or undefined when we do not match it. */
export function mapOsvEcosystem(ecosystem: string): { ecosystem: Ecosystem; distro: string } | undefined {
  if (ecosystem === 'npm') return { ecosystem: 'npm', distro: '' };
  if (ecosystem === 'PyPI') return { ecosystem: 'pypi', distro: '' };
  if (ecosystem === 'Go') return { ecosystem: 'go', distro: '' };
  let m = /^Debian:(\d+)$/.exec(ecosystem);
  if (m) return { ecosystem: 'dpkg', distro: `debian:${m[1]}` };
  m = /^Alpine:(v\d+\.\d+|edge)$/.exec(ecosystem);
  if (m) return { ecosystem: 'apk', distro: `alpine:${m[1]}` };
  return undefined;
}

export function normalizePackageName(ecosystem: Ecosystem, name: string): string {
  return ecosystem === 'pypi' ? normalizePythonName(name) : name;
}

interface SeverityInfo {
  severity: Severity;
  cvssScore?: number;
  cvssVector?: string;
}

/**
 * The CVSS vector of an OSV `severity` array that rates the finding: v3 first (what NVD and
 * most tools rate by, so the same finding gets the same severity here as there), then v4, then
 * v2. A vector that cannot be scored is still reported when no other can.
 */
function cvssOf(list: unknown): { vector?: string; score?: number } {
  if (!Array.isArray(list)) return {};
  const byType = (t: string) => list.find((s) => isObject(s) && s.type === t && typeof s.score === 'string')?.score as string | undefined;
  const vectors = ['CVSS_V3', 'CVSS_V4', 'CVSS_V2'].map(byType).filter((v): v is string => v !== undefined);
  for (const vector of vectors) {
    const score = cvssBaseScore(vector);
    if (score !== undefined) return { vector, score };
  }
  return vectors[0] ? { vector: vectors[0] } : {};
}

function severityOf(label: unknown, cvssList: unknown): SeverityInfo {
  const { vector, score } = cvssOf(cvssList);
  const fromLabel = severityFromLabel(label);
  const severity = fromLabel && fromLabel !== 'Unknown' ? fromLabel : score !== undefined ? ratingOf(score) : 'Unknown';
  return { severity, cvssScore: score, cvssVector: vector };
}

function readEvents(file: string, where: string, events: unknown): RangeEvent[] {
  if (!Array.isArray(events)) throw new FeedError(file, `${where}.events must be an array`);
  return events.map((e, i) => {
    if (!isObject(e)) throw new FeedError(file, `${where}.events[${i}] must be an object`);
    for (const key of ['introduced', 'fixed', 'last_affected', 'limit'] as const) {
      if (typeof e[key] === 'string') return { [key]: e[key] } as RangeEvent;
    }
    throw new FeedError(file, `${where}.events[${i}] has none of introduced, fixed, last_affected, limit`);
  });
}

export interface OsvParseStats {
  skippedEcosystems: Map<string, number>;
}

/** One OSV object -> one record per source (`osv:<Ecosystem>`) it affects; [] when nothing we match. */
export function parseOsvRecord(file: string, value: unknown, stats?: OsvParseStats): AdvisoryRecord[] {
  if (!isObject(value)) throw new FeedError(file, 'an OSV record must be a JSON object');
  const id = value.id;
  if (typeof id !== 'string' || id === '') throw new FeedError(file, 'OSV record without an "id" string');
  if (typeof value.withdrawn === 'string' && value.withdrawn) return [];
  if (value.affected !== undefined && !Array.isArray(value.affected)) throw new FeedError(file, `${id}: "affected" must be an array`);
  // `upstream` (schema 1.6) names the upstream vulnerability a distribution advisory fixes: for
  // matching it is the same issue, like an alias.
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((a): a is string => typeof a === 'string') : []);
  const aliases = [...new Set([...strings(value.aliases), ...strings(value.upstream)])].filter((a) => a !== id);
  const links = Array.isArray(value.references)
    ? value.references.map((r) => (isObject(r) && typeof r.url === 'string' ? r.url : undefined)).filter((u): u is string => !!u)
    : [];
  const databaseSpecific = isObject(value.database_specific) ? value.database_specific : {};
  const top = severityOf(databaseSpecific.severity, value.severity);
  const bySource = new Map<string, AdvisoryRecord>();
  ((value.affected as unknown[]) ?? []).forEach((a, i) => {
    const where = `${id}: affected[${i}]`;
    if (!isObject(a) || !isObject(a.package)) throw new FeedError(file, `${where}.package must be an object`);
    const eco = a.package.ecosystem;
    const name = a.package.name;
    if (typeof eco !== 'string' || typeof name !== 'string') throw new FeedError(file, `${where}.package needs "ecosystem" and "name" strings`);
    const mapped = mapOsvEcosystem(eco);
    if (!mapped) {
      stats?.skippedEcosystems.set(eco, (stats.skippedEcosystems.get(eco) ?? 0) + 1);
      return;
    }
    const ranges: AffectedRange[] = [];
    if (a.ranges !== undefined && !Array.isArray(a.ranges)) throw new FeedError(file, `${where}.ranges must be an array`);
    ((a.ranges as unknown[]) ?? []).forEach((r, j) => {
      if (!isObject(r) || typeof r.type !== 'string') throw new FeedError(file, `${where}.ranges[${j}] needs a "type"`);
      if (r.type !== 'ECOSYSTEM' && r.type !== 'SEMVER') return;
      ranges.push({ type: r.type, events: readEvents(file, `${where}.ranges[${j}]`, r.events) });
    });
    const versions = Array.isArray(a.versions) ? a.versions.filter((v): v is string => typeof v === 'string') : [];
    const ecosystemSpecific = isObject(a.ecosystem_specific) ? a.ecosystem_specific : {};
    const affectedDbSpecific = isObject(a.database_specific) ? a.database_specific : {};
    const own = severityOf(ecosystemSpecific.severity ?? ecosystemSpecific.urgency ?? affectedDbSpecific.severity, a.severity);
    const affected: AffectedPackage = {
      ecosystem: mapped.ecosystem,
      distro: mapped.distro,
      package: normalizePackageName(mapped.ecosystem, name),
      ranges,
      versions,
      severity: own.severity !== 'Unknown' ? own.severity : undefined,
    };
    const source = `osv:${eco}`;
    let record = bySource.get(source);
    if (!record) {
      record = {
        id,
        source,
        aliases,
        title: typeof value.summary === 'string' ? value.summary : undefined,
        description: typeof value.details === 'string' ? value.details : undefined,
        severity: top.severity !== 'Unknown' ? top.severity : own.severity,
        cvssScore: top.cvssScore ?? own.cvssScore,
        cvssVector: top.cvssVector ?? own.cvssVector,
        links: [`https://osv.dev/vulnerability/${id}`, ...links.filter((l) => l !== `https://osv.dev/vulnerability/${id}`)],
        modified: typeof value.modified === 'string' ? value.modified : undefined,
        affected: [],
      };
      bySource.set(source, record);
    }
    record.affected.push(affected);
  });
  return [...bySource.values()];
}
