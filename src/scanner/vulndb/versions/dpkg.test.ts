/**
 * Debian ordering. Cases from the Debian Policy Manual 5.6.12 (the `~` example:
 * `~~ < ~~a < ~ < (empty) < a`, epochs, revisions) and from dpkg's own version tests
 * (lib/dpkg/t/t-version.c), plus real bookworm security versions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareDebianVersions, parseDebianVersion } from './dpkg.ts';

const TABLE: [string, '<' | '=' | '>', string][] = [
  // Policy: tilde sorts before anything, even the end of a part.
  ['1.0~~', '<', '1.0~~a'],
  ['1.0~~a', '<', '1.0~'],
  ['1.0~', '<', '1.0'],
  ['1.0', '<', '1.0a'],
  ['1.0~rc1', '<', '1.0'],
  ['1.0~rc1-1', '<', '1.0-1'],
  // Policy: letters sort before non-letters; digit runs compare numerically.
  ['1.0a', '<', '1.0+'],
  ['1.0+', '<', '1.0.'],
  ['2.4-1', '<', '2.30-1'],
  ['1.002', '=', '1.2'],
  // Epochs win over everything.
  ['1:0.4', '>', '10.3'],
  ['0:1.0', '=', '1.0'],
  ['1:1.0', '<', '2:0.1'],
  // Revisions: absent equals 0; compared with the same algorithm.
  ['1.0', '=', '1.0-0'],
  ['1.0-1', '<', '1.0-2'],
  ['1.0-2', '<', '1.0-10'],
  ['1.2-3', '<', '1.2-3+b1'],
  // The last hyphen splits the revision; upstream may contain hyphens.
  ['1.2-3-4', '<', '1.2-3-5'],
  ['1.2-3-4', '>', '1.2-3'],
  // Real stable-security versions.
  ['3.0.11-1~deb12u1', '<', '3.0.11-1~deb12u2'],
  ['3.0.11-1~deb12u2', '<', '3.0.11-1'],
  ['3.0.11-1~deb12u2', '<', '3.0.13-1~deb12u1'],
  ['7.74.0-1.3+deb11u7', '<', '7.88.1-10+deb12u5'],
  ['2.36-9+deb12u3', '<', '2.36-9+deb12u4'],
  ['1:1.2.13.dfsg-1', '>', '1.3-1'],
];

test('dpkg ordering: Debian policy and dpkg examples', () => {
  for (const [a, op, b] of TABLE) {
    const want = op === '<' ? -1 : op === '>' ? 1 : 0;
    assert.equal(Math.sign(compareDebianVersions(a, b)), want, `${a} ${op} ${b}`);
    assert.equal(Math.sign(compareDebianVersions(b, a)), want === 0 ? 0 : -want, `${b} reversed ${a}`);
  }
});

test('dpkg versions: parts and bad input', () => {
  assert.deepEqual(parseDebianVersion('1:2.3-4+b1'), { epoch: 1, upstream: '2.3', revision: '4+b1' });
  assert.deepEqual(parseDebianVersion('2.3'), { epoch: 0, upstream: '2.3', revision: '' });
  assert.throws(() => parseDebianVersion('a:1.0'), /epoch must be a number/);
  assert.throws(() => parseDebianVersion('-1'), /empty upstream/);
});
