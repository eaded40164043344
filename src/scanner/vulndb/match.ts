/**
 * Matching: which advisories apply to an installed package (docs/scanner.md, "Matching").
 *
 * - dpkg packages match on their source package (`Source:`, else the binary name) and source
 *   version against advisories for the image's Debian release (`debian:<VERSION_ID>`, from
 *   the codename when VERSION_ID is absent);
 * - apk packages on their origin (else name) against the Alpine branch of VERSION_ID
 *   (3.19.1 -> v3.19; a pre-release VERSION_ID means edge);
 * - npm, PyPI and Go packages on their name, whatever the OS.
 * Ranges are evaluated as the OSV schema defines (events sorted by the ecosystem's ordering;
 * introduced opens, fixed closes before, last_affected closes after). A version the
 * ecosystem's ordering cannot parse matches only an explicit `versions` entry.
 */
import type { Ecosystem, InstalledPackage, OsRelease } from '../types.ts';
import type { AffectedRange, RangeEvent } from './records.ts';
import { comparatorFor, compareGoVersions, type Compare } from './versions/index.ts';
import { debianDistro } from './feeds/debian-tracker.ts';
import { normalizePythonName } from './versions/pep440.ts';
import { normalizeGoVersion } from './versions/semver-like.ts';

export interface LookupKey {
  ecosystem: Ecosystem;
  distro: string;
  name: string;
  /** The version compared with advisories (the source version for dpkg). */
  version: string;
}

export function distroOf(ecosystem: Ecosystem, os: OsRelease | undefined): string | undefined {
  if (ecosystem === 'dpkg') {
    if (!os) return undefined;
    const major = os.versionId?.split('.')[0];
    if (os.id === 'debian') return debianDistro(major || os.codename || '');
    return major ? `${os.id}:${os.versionId}` : undefined;
  }
  if (ecosystem === 'apk') {
    if (os?.id !== 'alpine' || !os.versionId) return undefined;
    const m = /^(\d+)\.(\d+)/.exec(os.versionId);
    if (!m || /_(alpha|beta|pre|rc|git)/.test(os.versionId)) return 'alpine:edge';
    return `alpine:v${m[1]}.${m[2]}`;
  }
  if (ecosystem === 'rpm') return undefined;
  return '';
}

export function lookupKey(pkg: InstalledPackage, os: OsRelease | undefined): LookupKey | undefined {
  const distro = distroOf(pkg.ecosystem, os);
  if (distro === undefined) return undefined;
  switch (pkg.ecosystem) {
    case 'dpkg':
      return { ecosystem: 'dpkg', distro, name: pkg.sourceName || pkg.name, version: pkg.sourceVersion || pkg.version };
    case 'apk':
      return { ecosystem: 'apk', distro, name: pkg.sourceName || pkg.name, version: pkg.version };
    case 'pypi':
      return { ecosystem: 'pypi', distro, name: normalizePythonName(pkg.name), version: pkg.version };
    default:
      return { ecosystem: pkg.ecosystem, distro, name: pkg.name, version: pkg.version };
  }
}

const eventVersion = (e: RangeEvent) => ('introduced' in e ? e.introduced : 'fixed' in e ? e.fixed : 'last_affected' in e ? e.last_affected : e.limit);

/** Safe comparison: undefined when either side is not a version of that ordering. */
function tryCompare(compare: Compare, a: string, b: string): number | undefined {
  try {
    return compare(a, b);
  } catch {
    return undefined;
  }
}

export interface RangeVerdict {
  affected: boolean;
  /** The first fixed version above the installed one, when the range names one. */
  fixed?: string;
}

export function evaluateRange(version: string, range: AffectedRange, compare: Compare): RangeVerdict | undefined {
  const events = range.events.filter((e) => !('limit' in e));
  const keyed: { e: RangeEvent; v: string }[] = events.map((e) => ({ e, v: eventVersion(e) }));
  let broken = false;
  keyed.sort((x, y) => {
    if ('introduced' in x.e && x.v === '0') return -1;
    if ('introduced' in y.e && y.v === '0') return 1;
    const d = tryCompare(compare, x.v, y.v);
    if (d === undefined) broken = true;
    return d ?? 0;
  });
  if (broken) return undefined;
  let vulnerable = false;
  for (const { e, v } of keyed) {
    if ('introduced' in e) {
      if (v === '0') vulnerable = true;
      else {
        const d = tryCompare(compare, version, v);
        if (d === undefined) return undefined;
        if (d >= 0) vulnerable = true;
      }
    } else if ('fixed' in e) {
      const d = tryCompare(compare, version, v);
      if (d === undefined) return undefined;
      if (d >= 0) vulnerable = false;
    } else if ('last_affected' in e) {
      const d = tryCompare(compare, version, v);
      if (d === undefined) return undefined;
      if (d > 0) vulnerable = false;
    }
  }
  if (!vulnerable) return { affected: false };
  const fixed = keyed.find(({ e, v }) => 'fixed' in e && (tryCompare(compare, v, version) ?? 0) > 0)?.v;
  return { affected: true, fixed };
}

export function comparatorForRange(ecosystem: Ecosystem, type: AffectedRange['type']): Compare | undefined {
  // SEMVER ranges are semver whatever the ecosystem (Go's come without the v prefix).
  return type === 'SEMVER' ? compareGoVersions : comparatorFor(ecosystem);
}

/** Whether a version is affected by one affected entry, and the version that fixes it. */
export function affectedBy(ecosystem: Ecosystem, version: string, ranges: AffectedRange[], versions: string[]): RangeVerdict {
  const norm = ecosystem === 'go' ? normalizeGoVersion : (v: string) => v;
  if (versions.length > 0 && versions.some((v) => norm(v) === norm(version))) {
    // Listed explicitly; a range may still tell the fix.
    for (const r of ranges) {
      const compare = comparatorForRange(ecosystem, r.type);
      const verdict = compare && evaluateRange(version, r, compare);
      if (verdict?.affected) return verdict;
    }
    return { affected: true };
  }
  let result: RangeVerdict = { affected: false };
  for (const r of ranges) {
    const compare = comparatorForRange(ecosystem, r.type);
    const verdict = compare && evaluateRange(version, r, compare);
    if (verdict?.affected && (!result.affected || (verdict.fixed && !result.fixed))) result = verdict;
  }
  return result;
}
