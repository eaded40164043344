/**
 * CVSS scoring and rating as the scanner uses them. The v4.0 expectations are FIRST's: the
 * specification's example vector with high impact on the vulnerable system only scores 9.3, all
 * impacts high on both systems 10.0, no impact at all 0.0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cvssBaseScore, ratingOf } from './severity.ts';
import { parseOsvRecord } from './feeds/osv.ts';
import { cvssAttributes } from '../report/harbor-reports.ts';

const V4_HIGH = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';

test('cvssBaseScore: v4.0, v3.1 and v2 vectors are scored; broken ones are not', () => {
  const cases: [string, number | undefined][] = [
    [V4_HIGH, 9.3],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H', 10],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N', 0],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['AV:N/AC:L/Au:N/C:P/I:P/A:P', 7.5],
    // Incomplete (no SA), an unknown metric, an unknown value, not a vector at all:
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N', undefined],
    [`${V4_HIGH}/ZZ:Q`, undefined],
    ['CVSS:4.0/AV:Q/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', undefined],
    ['CVSS:4.0/garbage', undefined],
    ['CVSS:9.9/AV:N', undefined],
  ];
  for (const [vector, score] of cases) assert.equal(cvssBaseScore(vector), score, vector);
  assert.equal(ratingOf(9.3), 'Critical');
  assert.equal(ratingOf(0), 'Unknown');
});

const osv = (severity: { type: string; score: string }[]) => ({
  id: 'GHSA-test-0000-0000',
  modified: '2026-01-01T00:00:00Z',
  severity,
  affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.0' }] }] }],
});

test('OSV: a v4.0 vector rates a finding that has no other; v3 is preferred when both are given', () => {
  const onlyV4 = parseOsvRecord('v4.json', osv([{ type: 'CVSS_V4', score: V4_HIGH }]))[0]!;
  assert.deepEqual([onlyV4.severity, onlyV4.cvssScore, onlyV4.cvssVector], ['Critical', 9.3, V4_HIGH]);
  const v3 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N';
  const both = parseOsvRecord('both.json', osv([{ type: 'CVSS_V4', score: V4_HIGH }, { type: 'CVSS_V3', score: v3 }]))[0]!;
  assert.deepEqual([both.severity, both.cvssScore, both.cvssVector], ['Medium', 5.3, v3]);
  const broken = 'CVSS:4.0/AV:N';
  const unscored = parseOsvRecord('broken.json', osv([{ type: 'CVSS_V4', score: broken }]))[0]!;
  assert.deepEqual([unscored.severity, unscored.cvssScore, unscored.cvssVector], ['Unknown', undefined, broken]);
});

test('Harbor report: the CVSS keys follow the vector version, as Trivy names them', () => {
  assert.deepEqual(cvssAttributes(V4_HIGH, 9.3), { V40Vector: V4_HIGH, V40Score: 9.3 });
  assert.deepEqual(cvssAttributes('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8), { V3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', V3Score: 9.8 });
  assert.deepEqual(cvssAttributes('AV:N/AC:L/Au:N/C:P/I:P/A:P', 7.5), { V2Vector: 'AV:N/AC:L/Au:N/C:P/I:P/A:P', V2Score: 7.5 });
  assert.deepEqual(cvssAttributes(undefined, 5), { V3Score: 5 });
});
