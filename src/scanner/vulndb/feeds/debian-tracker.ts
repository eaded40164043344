/**
 * The Debian security tracker's JSON export (security-tracker.debian.org/tracker/data/json):
 * `{ <source package>: { <CVE or TEMP id>: { description, releases: { <codename>: { status,
 * fixed_version, urgency, repositories, nodsa } } } } }`.
 *
 * Per release: `resolved` with fixed_version "0" means never affected (skipped); `resolved`
 * with a version is affected below it; `open` and `undetermined` are affected with no fix.
 * Codenames map to VERSION_ID (bookworm -> debian:12); an unknown codename is kept as
 * `debian:<codename>` so a later release still matches an image that reports it.
 */
import { FeedError, type AdvisoryRecord } from '../records.ts';
import { severityFromLabel } from '../severity.ts';
import { isObject } from './read-json.ts';

export const DEBIAN_CODENAMES: Record<string, string> = {
  wheezy: '7',
  jessie: '8',
  stretch: '9',
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
  duke: '15',
};

export const debianDistro = (codenameOrVersion: string) => `debian:${DEBIAN_CODENAMES[codenameOrVersion] ?? codenameOrVersion}`;

/** Quick shape test used to recognise the format (values of values carry `releases`). */
export function looksLikeDebianTracker(value: unknown): boolean {
  if (!isObject(value) || Array.isArray(value)) return false;
  for (const pkg of Object.values(value)) {
    if (!isObject(pkg)) return false;
    for (const entry of Object.values(pkg)) return isObject(entry) && isObject(entry.releases);
  }
  return false;
}

export function* parseDebianTracker(file: string, value: unknown): Generator<AdvisoryRecord> {
  if (!isObject(value)) throw new FeedError(file, 'the Debian tracker JSON must be an object of source packages');
  for (const [pkg, entries] of Object.entries(value)) {
    if (!isObject(entries)) throw new FeedError(file, `${pkg}: must be an object of advisories`);
    for (const [id, entry] of Object.entries(entries)) {
      if (!isObject(entry) || !isObject(entry.releases)) throw new FeedError(file, `${pkg}.${id}: needs a "releases" object`);
      const record: AdvisoryRecord = {
        id,
        source: 'debian-tracker',
        aliases: [],
        description: typeof entry.description === 'string' ? entry.description : undefined,
        severity: 'Unknown',
        links: [`https://security-tracker.debian.org/tracker/${id}`],
        affected: [],
      };
      for (const [codename, rel] of Object.entries(entry.releases)) {
        if (!isObject(rel) || typeof rel.status !== 'string') throw new FeedError(file, `${pkg}.${id}.releases.${codename}: needs a "status" string`);
        const urgency = severityFromLabel(rel.urgency);
        const base = { ecosystem: 'dpkg' as const, distro: debianDistro(codename), package: pkg, versions: [], severity: urgency && urgency !== 'Unknown' ? urgency : undefined };
        if (rel.status === 'resolved') {
          const fixed = rel.fixed_version;
          if (typeof fixed !== 'string') throw new FeedError(file, `${pkg}.${id}.releases.${codename}: resolved without "fixed_version"`);
          if (fixed === '0') continue;
          record.affected.push({ ...base, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] });
        } else if (rel.status === 'open' || rel.status === 'undetermined') {
          record.affected.push({ ...base, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] });
        } else {
          throw new FeedError(file, `${pkg}.${id}.releases.${codename}: unknown status ${JSON.stringify(rel.status)}`);
        }
      }
      if (record.affected.length > 0) yield record;
    }
  }
}
