/**
 * Alpine's secdb (secdb.alpinelinux.org/<branch>/<repo>.json):
 * `{ distroversion: "v3.19", reponame: "main", packages: [{ pkg: { name, secfixes:
 * { "<fixed version>": ["CVE-...", ...] } } }] }`. A fix version "0" lists issues that never
 * affected Alpine's package (skipped). An entry may carry more ids after the first, separated
 * by spaces; they become aliases.
 */
import { FeedError, type AdvisoryRecord } from '../records.ts';
import { isObject } from './read-json.ts';

export const looksLikeAlpineSecdb = (value: unknown) => isObject(value) && Array.isArray(value.packages) && typeof value.distroversion === 'string';

export function* parseAlpineSecdb(file: string, value: unknown): Generator<AdvisoryRecord> {
  if (!isObject(value) || !Array.isArray(value.packages)) throw new FeedError(file, 'an Alpine secdb file needs a "packages" array');
  const branch = value.distroversion;
  if (typeof branch !== 'string' || !/^(v\d+\.\d+|edge)$/.test(branch)) throw new FeedError(file, `"distroversion" must look like v3.19 (got ${JSON.stringify(branch)})`);
  const repo = typeof value.reponame === 'string' ? value.reponame : 'main';
  const source = `alpine-secdb:${branch}/${repo}`;
  // One record per id: the same CVE fixed in two packages is one advisory with two affected entries.
  const records = new Map<string, AdvisoryRecord>();
  value.packages.forEach((p, i) => {
    if (!isObject(p) || !isObject(p.pkg) || typeof p.pkg.name !== 'string') throw new FeedError(file, `packages[${i}].pkg needs a "name" string`);
    const name = p.pkg.name;
    const secfixes = p.pkg.secfixes ?? {};
    if (!isObject(secfixes)) throw new FeedError(file, `packages[${i}].pkg.secfixes must be an object`);
    for (const [fixed, ids] of Object.entries(secfixes)) {
      if (!Array.isArray(ids)) throw new FeedError(file, `packages[${i}].pkg.secfixes[${JSON.stringify(fixed)}] must be an array of ids`);
      if (fixed === '0') continue;
      for (const entry of ids) {
        if (typeof entry !== 'string') throw new FeedError(file, `packages[${i}].pkg.secfixes[${JSON.stringify(fixed)}] must hold strings`);
        const [id, ...aliases] = entry.trim().split(/\s+/);
        if (!id) continue;
        const key = id;
        let record = records.get(key);
        if (!record) {
          record = { id, source, aliases, severity: 'Unknown', links: [`https://security.alpinelinux.org/vuln/${id}`], affected: [] };
          records.set(key, record);
        }
        record.affected.push({ ecosystem: 'apk', distro: `alpine:${branch}`, package: name, versions: [], ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] });
      }
    }
  });
  yield* records.values();
}
