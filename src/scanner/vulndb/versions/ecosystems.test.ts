/**
 * The library-backed comparators: npm (semver, with the semver spec's own precedence example),
 * Go module versions (prefix, +incompatible, pseudo-versions, toolchain versions) and PEP 440
 * (the ordering example of the PEP's "Summary of permitted suffixes and relative ordering").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareGoVersions, compareNpmVersions, comparePythonVersions } from './index.ts';
import { normalizePythonName } from './pep440.ts';

function assertAscending(compare: (a: string, b: string) => number, list: string[]) {
  for (let i = 0; i + 1 < list.length; i++) {
    assert.equal(compare(list[i]!, list[i + 1]!), -1, `${list[i]} < ${list[i + 1]}`);
    assert.equal(compare(list[i + 1]!, list[i]!), 1, `${list[i + 1]} > ${list[i]}`);
  }
}

test('npm: semver 2.0 precedence (the spec example)', () => {
  assertAscending(compareNpmVersions, ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '2.0.0', '2.1.0', '2.1.1']);
  assert.equal(compareNpmVersions('4.17.20', '4.17.21'), -1);
  assert.throws(() => compareNpmVersions('4.17', '4.17.21'), /invalid semantic version/);
});

test('Go: module versions, +incompatible, pseudo-versions, toolchain versions', () => {
  assertAscending(compareGoVersions, ['v0.0.0-20190101000000-abcdefabcdef', 'v0.0.0-20230101000000-abcdefabcdef', 'v0.1.0', 'v0.17.0', 'v1.2.3']);
  // A pseudo-version based on v0.16.0 sorts after it and before the next release.
  assertAscending(compareGoVersions, ['v0.16.0', 'v0.16.1-0.20231004000000-abcdefabcdef', 'v0.17.0']);
  assert.equal(compareGoVersions('v2.0.0+incompatible', '2.0.0'), 0);
  assert.equal(compareGoVersions('v1.2.3', '1.2.3'), 0);
  assertAscending(compareGoVersions, ['go1.21', 'go1.21.4', '1.21.5', 'go1.22rc1', 'go1.22.0']);
});

test('PyPI: PEP 440 ordering (the PEP example)', () => {
  assertAscending(comparePythonVersions, ['1.dev0', '1.0.dev456', '1.0a1', '1.0a2.dev456', '1.0a12.dev456', '1.0a12', '1.0b1.dev456', '1.0b2', '1.0b2.post345.dev456', '1.0b2.post345', '1.0rc1.dev456', '1.0rc1', '1.0', '1.0+abc.5', '1.0+abc.7', '1.0+5', '1.0.post456.dev34', '1.0.post456', '1.0.15', '1.1.dev1']);
  assert.equal(comparePythonVersions('1!1.0', '2.0'), 1);
  assert.equal(comparePythonVersions('2.31', '2.31.0'), 0);
  assert.throws(() => comparePythonVersions('not a version', '1.0'), /invalid PEP 440/);
  assert.equal(normalizePythonName('Friendly__Bar.baz'), 'friendly-bar-baz');
});
