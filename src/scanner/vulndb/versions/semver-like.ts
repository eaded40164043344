/**
 * npm and Go versions: both are Semantic Versioning 2.0, ordered by the `semver` package (the
 * one npm itself uses). Go adds a `v` prefix, `+incompatible` (a v2+ module without go.mod; it
 * orders as the plain version, build metadata being ignored) and pseudo-versions
 * (`v0.0.0-20210101000000-abcdef123456`), which are valid semver pre-releases and order as Go
 * does, by timestamp after the base version.
 */
import semver from 'semver';

export function parseSemver(version: string): semver.SemVer {
  const v = semver.parse(version.trim(), { loose: false });
  if (!v) throw new Error(`invalid semantic version ${JSON.stringify(version)}`);
  return v;
}

export function compareNpmVersions(a: string, b: string): number {
  return semver.compare(parseSemver(a), parseSemver(b));
}

/** `v1.2.3`, `1.2.3`, `v2.0.0+incompatible`, pseudo-versions; Go's own "go1.21.5" for stdlib. */
export function normalizeGoVersion(version: string): string {
  let v = version.trim();
  if (v.startsWith('go')) v = v.slice(2);
  if (v.startsWith('v')) v = v.slice(1);
  // Go toolchain versions may have two parts (go1.21) or a pre-release without a dash (1.21rc2).
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?((?:rc|beta)\d+)?$/.exec(v);
  if (m) return `${m[1]}.${m[2]}.${m[3] ?? '0'}${m[4] ? `-${m[4]}` : ''}`;
  return v;
}

export function compareGoVersions(a: string, b: string): number {
  return semver.compare(parseSemver(normalizeGoVersion(a)), parseSemver(normalizeGoVersion(b)));
}
