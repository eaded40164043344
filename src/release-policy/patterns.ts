/**
 * Repository patterns of release policies, and which policy governs a repository.
 *
 * A pattern is a repository name with globs: `*` matches within one path segment (`team-a/*`
 * matches `team-a/api`, not `team-a/api/v2`), `**` matches any number of segments
 * (`prod/**` matches `prod/a` and `prod/a/b`; `**` alone matches every repository). These are
 * not the role-assignment patterns of src/access/patterns.ts (whose `team/*` is any depth):
 * policies need both forms, the issue's examples use both, and a repository no policy matches
 * falls back to the registry-wide policy, so a narrow pattern never opens anything.
 *
 * Most specific first: an exact name beats any glob; then the longer literal prefix (the
 * characters before the first `*`); then fewer `**`; then more literal characters; ties by
 * policy name, so the choice is always the same on every node.
 */
import { isValidRepositoryName } from '../oci/index.ts';

const GLOB_SEGMENT = /^(?:\*\*|[a-z0-9._*-]+)$/;

/** Whether `pattern` is a well-formed repository pattern (checked before a policy is stored). */
export function isValidPolicyPattern(pattern: string): boolean {
  if (pattern.length === 0 || pattern.length > 255) return false;
  if (!pattern.includes('*')) return isValidRepositoryName(pattern);
  return pattern.split('/').every((s) => GLOB_SEGMENT.test(s) && (s === '**' || !s.includes('**')));
}

const compiled = new Map<string, RegExp>();

function regexOf(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    const body = pattern
      .split('/')
      .map((s) => (s === '**' ? '\uE000' : s.replace(/[.+?^${}()|[\]\\-]/g, '\\$&').replace(/\*/g, '[^/]*')))
      .join('/')
      // `a/**/b` matches a/b too; a trailing `/**` needs at least one more segment; a leading `**/` any prefix.
      .replace(/\/\uE000\//g, '(?:/.+)?/')
      .replace(/\/\uE000$/, '/.+')
      .replace(/^\uE000\//, '(?:.+/)?')
      .replace(/^\uE000$/, '.+');
    re = new RegExp(`^${body}$`);
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(pattern, re);
  }
  return re;
}

export function matchesPolicyPattern(pattern: string, repository: string): boolean {
  return pattern === repository || (pattern.includes('*') && regexOf(pattern).test(repository));
}

/** The characters before the first `*`: every repository the pattern matches starts with them. */
export function literalPrefix(pattern: string): string {
  const star = pattern.indexOf('*');
  return star < 0 ? pattern : pattern.slice(0, star);
}

/** Comparable specificity of a pattern: larger is more specific. */
export function specificity(pattern: string): [number, number, number, number] {
  const star = pattern.indexOf('*');
  if (star < 0) return [1, pattern.length, 0, pattern.length];
  const doubles = (pattern.match(/\*\*/g) ?? []).length;
  return [0, star, -doubles, pattern.replace(/\*/g, '').length];
}

function compare(a: [number, number, number, number], b: [number, number, number, number]): number {
  for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

export interface Bound {
  name: string;
  repositories: string[];
  enabled: boolean;
}

/**
 * The policy that governs `repository`: among ENABLED policies, the one whose most specific
 * matching pattern is the most specific. A disabled policy is skipped (a draft, or one turned
 * off): it never releases what a broader policy or the registry-wide switch holds.
 */
export function governingPolicy<P extends Bound>(policies: readonly P[], repository: string): { policy: P; pattern: string } | undefined {
  let best: { policy: P; pattern: string; rank: [number, number, number, number] } | undefined;
  for (const policy of policies) {
    if (!policy.enabled) continue;
    for (const pattern of policy.repositories) {
      if (!matchesPolicyPattern(pattern, repository)) continue;
      const rank = specificity(pattern);
      const c = best ? compare(rank, best.rank) : 1;
      if (c > 0 || (c === 0 && best && policy.name < best.policy.name)) best = { policy, pattern, rank };
    }
  }
  return best && { policy: best.policy, pattern: best.pattern };
}
