/**
 * What every feed parser produces and the database stores: one advisory with the packages it
 * affects, in OSV's model (ranges of introduced/fixed/last_affected events, or explicit version
 * lists). The Debian tracker and Alpine secdb are mapped into the same model, so one matcher
 * serves every source.
 */
import type { Ecosystem, Severity } from '../types.ts';

export type RangeEvent = { introduced: string } | { fixed: string } | { last_affected: string } | { limit: string };

export interface AffectedRange {
  /** OSV range types we evaluate: ECOSYSTEM (the ecosystem's own ordering) or SEMVER. */
  type: 'ECOSYSTEM' | 'SEMVER';
  events: RangeEvent[];
}

export interface AffectedPackage {
  ecosystem: Ecosystem;
  /** `debian:12`, `alpine:v3.19`; empty for language ecosystems (they match on any OS). */
  distro: string;
  /** The name advisories use: Debian source package, Alpine origin, normalized PyPI name, ... */
  package: string;
  ranges: AffectedRange[];
  /** Explicitly listed affected versions (OSV `versions`). */
  versions: string[];
  /** A per-package severity that overrides the advisory's (Debian urgency per release). */
  severity?: Severity;
}

export interface AdvisoryRecord {
  id: string;
  /** e.g. `osv:npm`, `debian-tracker`, `alpine-secdb:v3.19/main`. */
  source: string;
  aliases: string[];
  title?: string;
  description?: string;
  severity: Severity;
  cvssScore?: number;
  cvssVector?: string;
  links: string[];
  /** The advisory's own last-modified time, ISO 8601, when the feed has one. */
  modified?: string;
  affected: AffectedPackage[];
}

/** A feed file that could not be read: names the file and, where known, the line. */
export class FeedError extends Error {
  constructor(
    readonly file: string,
    detail: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(`${file}${line !== undefined ? `:${line}${column !== undefined ? `:${column}` : ''}` : ''}: ${detail}`);
  }
}
