/**
 * Tag patterns of retention's `keepTags`: tag characters (`[A-Za-z0-9_.-]`) with `*` (any run
 * of characters) and `?` (one character), matched against the whole tag. `v*` keeps `v1.2`,
 * `release-*` keeps `release-2026-01`.
 */
const PATTERN = /^[A-Za-z0-9_.*?-]{1,128}$/;

export function isValidTagPattern(pattern: string): boolean {
  return PATTERN.test(pattern);
}

/**
 * Whether `tag` matches `pattern`. The greedy two-pointer wildcard match (backtracking only to
 * the last `*`): time proportional to pattern x tag length at worst, unlike a regular
 * expression built from `*a*a*a*`, which a rule author could make backtrack exponentially.
 */
export function matchesTagPattern(pattern: string, tag: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < tag.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === tag[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++resume;
    } else return false;
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}
