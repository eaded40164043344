import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scopeMatches, validateScope } from './webhook-scope.ts';

test('scope matching follows ACR (table)', () => {
  const rows: [scope: string, repository: string | undefined, tag: string | undefined, expected: boolean][] = [
    ['', 'any/repo', 'v1', true],
    ['', 'any/repo', undefined, true],
    ['', undefined, undefined, true],
    ['foo:*', 'foo', 'v1', true],
    ['foo:*', 'foo', undefined, true],
    ['foo:*', 'foobar', 'v1', false],
    ['foo:*', 'foo/bar', 'v1', false],
    ['foo:bar', 'foo', 'bar', true],
    ['foo:bar', 'foo', 'baz', false],
    ['foo:bar', 'foo', undefined, false],
    ['foo', 'foo', 'latest', true],
    ['foo', 'foo', 'v1', false],
    ['foo', 'foo', undefined, false],
    ['team/*:*', 'team/app', 'v1', true],
    ['team/*:*', 'other/app', 'v1', false],
    ['app:v1.*', 'app', 'v1.2', true],
    ['app:v1.*', 'app', 'v12', false],
    ['foo:*', undefined, undefined, false],
  ];
  for (const [scope, repository, tag, expected] of rows) {
    assert.equal(scopeMatches(scope, repository, tag), expected, `${scope} vs ${repository}:${tag}`);
  }
});

test('scope validation names the problem', () => {
  for (const ok of ['', 'foo', 'foo:*', 'team/app:v1.0', 'team/*:*']) assert.equal(validateScope(ok), undefined, ok);
  for (const bad of ['Foo', 'foo:', ':v1', 'foo:v1:x', 'foo bar', 'foo:v 1']) assert.ok(validateScope(bad), bad);
});
