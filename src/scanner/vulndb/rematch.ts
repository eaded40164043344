/**
 * Re-matching stored inventories after the database changed (issue section 4, scanner side):
 * no image is pulled again; each stored inventory is matched against the current data and
 * only entries whose findings changed are returned, with what was added and removed.
 * A finding's identity for this comparison is its id, package, installed version, fixed
 * version and severity: a new fix or a re-rated severity is a change a user must see.
 */
import type { Finding, Inventory, VulnDatabase } from '../types.ts';

export interface StoredScan {
  /** The caller's key, e.g. the manifest digest. */
  key: string;
  inventory: Inventory;
  /** The findings reported last time. */
  findings: Finding[];
}

export interface RematchChange {
  key: string;
  /** All findings now. */
  findings: Finding[];
  added: Finding[];
  removed: Finding[];
}

export const findingIdentity = (f: Finding) => [f.id, f.ecosystem, f.package, f.installedVersion, f.fixedVersion ?? '', f.severity, f.layerDigest].join('\0');

const sameFinding = (a: Finding, b: Finding) =>
  a.id === b.id && a.ecosystem === b.ecosystem && a.package === b.package && a.installedVersion === b.installedVersion && a.fixedVersion === b.fixedVersion && a.severity === b.severity && a.layerDigest === b.layerDigest;

export function diffFindings(before: Finding[], after: Finding[]): { added: Finding[]; removed: Finding[] } {
  // Fast path, no allocation: match() returns findings in a fixed order, so an unchanged result
  // is the same list element by element.
  if (before.length === after.length && before.every((f, i) => sameFinding(f, after[i]!))) return { added: [], removed: [] };
  const was = new Set(before.map(findingIdentity));
  const now = new Set(after.map(findingIdentity));
  return { added: after.filter((f) => !was.has(findingIdentity(f))), removed: before.filter((f) => !now.has(findingIdentity(f))) };
}

export function rematch(db: VulnDatabase, stored: Iterable<StoredScan>): RematchChange[] {
  const changes: RematchChange[] = [];
  for (const s of stored) {
    const findings = db.match(s.inventory);
    const { added, removed } = diffFindings(s.findings, findings);
    if (added.length > 0 || removed.length > 0) changes.push({ key: s.key, findings, added, removed });
  }
  return changes;
}
