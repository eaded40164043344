/**
 * Webhook `scope` filters, with ACR's semantics (ACR's API reference 4.1):
 * - empty: every event;
 * - `repo:*`: every event about repository `repo` (tagged or not);
 * - `repo:tag`: only events about that tag of `repo`;
 * - `repo` alone: the same as `repo:latest`.
 * Lazaret also accepts `*` as a wildcard inside either part (`team/*:v*`), a superset of ACR.
 * An event without a tag (a push by digest, a delete) only matches a tag part that is `*`.
 * `ping` ignores the scope: it is sent to the one webhook it was asked for.
 */
const PART = /^[a-z0-9._\-/*]+$/;
const TAG_PART = /^[a-zA-Z0-9._\-*]+$/;

/** Returns a problem description, or undefined when the scope is valid. */
export function validateScope(scope: string): string | undefined {
  if (scope === '') return undefined;
  if (scope.length > 512) return 'scope is longer than 512 characters';
  const [repo, tag, ...rest] = scope.split(':');
  if (rest.length > 0) return 'scope must be REPOSITORY or REPOSITORY:TAG';
  if (!repo || !PART.test(repo)) return 'scope repository must be a repository name (lowercase; * allowed as a wildcard)';
  if (tag !== undefined && (!tag || !TAG_PART.test(tag))) return 'scope tag must be a tag or * (wildcards allowed)';
  return undefined;
}

function glob(pattern: string): RegExp {
  const body = pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}$`);
}

/** Whether an event about (repository, tag) matches the scope. */
export function scopeMatches(scope: string, repository: string | undefined, tag: string | undefined): boolean {
  if (scope === '') return true;
  if (repository === undefined) return false;
  const i = scope.indexOf(':');
  const repoPattern = i === -1 ? scope : scope.slice(0, i);
  const tagPattern = i === -1 ? 'latest' : scope.slice(i + 1);
  if (!glob(repoPattern).test(repository)) return false;
  if (tag === undefined) return tagPattern === '*';
  return glob(tagPattern).test(tag);
}
