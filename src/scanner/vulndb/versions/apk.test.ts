/** Alpine ordering: vectors from apk-tools' test/version.data, plus real Alpine 3.19 fixes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareApkVersions, isValidApkVersion } from './apk.ts';

const VECTORS = `
2.34 > 0.1.0_alpha
23_foo > 4_beta
1.0 < 1.0bc
0.1.0_alpha2 > 0.1.0_alpha
1.1 > 1.1_alpha1
1.2.1 > 1.2
1.2 < 1.3_alpha
3.10.18-r1 > 2.3.0b-r1
2.3.0b-r1 < 2.3.0b-r2
1.2.12.1 < 1.2.13
3.1_p16 < 3.1_p17
3.1_p17 > 1.06-r6
1.06-r6 < 006
1.2.2-r1 > 1.2.2
2.59 < 20050718-r1
3.9.8-r5 > 2.01.01_alpha10
1.0 > 0.99.3.20040818
1.39 > 1.00_beta2
1.02 < 1.03-r1
4.2.52_p2-r1 < 4.2.52_p4-r2
20060720 > 3.0.20060720
0.7.18-r2 < 0.17-r6
2.5.1-r8 < 2.5.1a-r1
2.0.0_rc3-r1 > 1.5
3.0.0-r2 < 021109-r3
3.9_pre20060124 > 0.01
0.01 < 0.06
1.1.7 < 6b-r7
0.10.0-r1 > 0.10.0
0.10.0 < 0.10.1_rc1
0.15.1b-r2 > 0.15.1b
22.7-r1 < 22.7.3-r1
2.1_pre20 < 2.1_pre26
2.10.1 > 02.08.01b
1.6d > 1.2.07.8
1.2.07.8 < 1.2.12.04
1.07-r1 < 1.07.5
0.1_pre20060810 < 0.1_pre20060817
0.20070118 < 0.20070207_rc1
0.20070207_rc1 < 1.0
4.5_p1-r1 > 4.5_p1
0.9.8c-r1 < 0.9.8d
1.7 < 1.7b
1.8.5 < 1.8.5_p2
2.9.11_pre20051101-r3 > 2.9.11_pre20051101
1.6.8_p12-r1 > 1.6.8_p9-r2
0.9.28-r2 < 0.9.28.1
104-r11 > 104-r9
2.12r-r4 < 2.12r-r5
7.0.17 < 7.0.174
1.3_pre1-r1 < 1.3.2
1.0_p10-r0 > 1.0_p9-r0
0.1.0_alpha_pre2 < 0.1.0_alpha
1.0.0_pre20191002222144-r0 < 1.0.0_pre20210530193627-r0
2.16.1-r3 = 2.16.1-r3
3.1.4-r0 < 3.1.4-r1
3.1.4-r5 < 3.1.5-r0
1.36.1-r15 < 1.36.1-r19
`;

test('apk ordering: apk-tools test vectors', () => {
  for (const line of VECTORS.trim().split('\n')) {
    const [a, op, b] = line.split(' ') as [string, string, string];
    const want = op === '<' ? -1 : op === '>' ? 1 : 0;
    assert.equal(compareApkVersions(a, b), want, line);
    assert.equal(compareApkVersions(b, a), want === 0 ? 0 : -want, `${line} (reversed)`);
  }
});

test('apk versions: validity as apk judges it', () => {
  for (const v of ['1.0', '3.1.4-r1', '1.36.1_p2-r0', '2.3.0b-r1', '0.1.0_alpha_pre2']) assert.ok(isValidApkVersion(v), v);
  for (const v of ['', 'abc', '1.0-x', '1.0_foo', '-r1']) assert.equal(isValidApkVersion(v), false, v);
});
