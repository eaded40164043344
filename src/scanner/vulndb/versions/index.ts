/**
 * One comparator per ecosystem. Each throws on a version its ecosystem would not accept; the
 * matcher treats such a version as "cannot decide" rather than guessing an order.
 */
import type { Ecosystem } from '../../types.ts';
import { compareDebianVersions } from './dpkg.ts';
import { compareApkVersions } from './apk.ts';
import { compareGoVersions, compareNpmVersions } from './semver-like.ts';
import { comparePythonVersions } from './pep440.ts';

export type Compare = (a: string, b: string) => number;

const COMPARATORS: Partial<Record<Ecosystem, Compare>> = {
  dpkg: compareDebianVersions,
  apk: compareApkVersions,
  npm: compareNpmVersions,
  pypi: comparePythonVersions,
  go: compareGoVersions,
};

export function comparatorFor(ecosystem: Ecosystem): Compare | undefined {
  return COMPARATORS[ecosystem];
}

export { compareDebianVersions, compareApkVersions, compareGoVersions, compareNpmVersions, comparePythonVersions };
