/**
 * Repository patterns, shared by role assignments and scope maps.
 *
 * A pattern is a repository name, or a name prefix ending in `/*` (`team-a/*` matches
 * `team-a/x` and `team-a/x/y`, never `team-a` itself nor `team-ab/x`), or `*` (every
 * repository). No other wildcards: a pattern is checked with `isValidPattern` before it is
 * stored, so matching never sees anything else.
 */
import { isValidRepositoryName } from '../oci/index.ts';

export function isValidPattern(pattern: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('/*')) return isValidRepositoryName(pattern.slice(0, -2));
  return isValidRepositoryName(pattern);
}

export function matchesPattern(pattern: string, repository: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('/*')) return repository.startsWith(pattern.slice(0, -1)) && repository.length > pattern.length - 1;
  return pattern === repository;
}

/**
 * Whether a grant on `pattern` covers every repository whose name starts with `prefix`,
 * including names nobody has pushed yet: `*` covers every prefix, `team-a/*` covers `team-a/`
 * and anything longer under it, an exact name covers no prefix (a prefix has longer names).
 */
export function coversPrefix(pattern: string, prefix: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('/*')) return prefix.startsWith(pattern.slice(0, -1));
  return false;
}
