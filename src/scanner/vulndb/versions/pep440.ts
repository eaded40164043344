/** Python versions: PEP 440 ordering through `@renovatebot/pep440` (epochs, pre/post/dev releases, local versions). */
import { compare, valid } from '@renovatebot/pep440';

export function comparePythonVersions(a: string, b: string): number {
  if (!valid(a)) throw new Error(`invalid PEP 440 version ${JSON.stringify(a)}`);
  if (!valid(b)) throw new Error(`invalid PEP 440 version ${JSON.stringify(b)}`);
  const d = compare(a, b);
  return d < 0 ? -1 : d > 0 ? 1 : 0;
}

/** PEP 503 name normalization: advisories and METADATA spell names differently (`Foo_Bar` = `foo-bar`). */
export const normalizePythonName = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');
