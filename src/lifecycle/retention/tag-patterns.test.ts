import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isValidTagPattern, matchesTagPattern } from './tag-patterns.ts';

test('tag patterns: * any run, ? one character, the whole tag', () => {
  for (const [pattern, tag, expected] of [
    ['v*', 'v1.2.3', true],
    ['v*', 'v', true],
    ['v*', 'xv1', false],
    ['release-*', 'release-2026-01', true],
    ['release-*', 'release', false],
    ['*-rc?', '1.0-rc1', true],
    ['*-rc?', '1.0-rc10', false],
    ['latest', 'latest', true],
    ['latest', 'latest2', false],
    ['a.b', 'axb', false],
    ['*a*b*', 'xxaxxbxx', true],
    ['*a*b', 'xxaxxbxxc', false],
  ] as const) {
    assert.equal(matchesTagPattern(pattern, tag), expected, `${pattern} ~ ${tag}`);
  }
  // A pattern that would make a backtracking regular expression take ages answers at once.
  assert.equal(matchesTagPattern(`${'*a'.repeat(40)}*b`, 'a'.repeat(128)), false);
  for (const ok of ['v*', 'release-*', '*', '1.?']) assert.ok(isValidTagPattern(ok), ok);
  for (const bad of ['', 'a/b', 'a b', '[abc]', 'x'.repeat(129)]) assert.ok(!isValidTagPattern(bad), bad);
});
