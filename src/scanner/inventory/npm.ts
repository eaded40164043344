/**
 * npm packages: installed ones from node_modules/NAME/package.json (what the image runs) and the
 * ones a package-lock.json pins (lockfileVersion 1: nested `dependencies`; 2 and 3: `packages`
 * keyed by node_modules path). The project's own root entry is not a dependency and is skipped.
 */
import type { PackageDraft } from './package-draft.ts';

function licenseOf(doc: Record<string, unknown>): string[] | undefined {
  const l = doc.license;
  if (typeof l === 'string' && l) return [l];
  if (l && typeof l === 'object' && typeof (l as { type?: unknown }).type === 'string') return [(l as { type: string }).type];
  return undefined;
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const doc = JSON.parse(text);
    return doc && typeof doc === 'object' && !Array.isArray(doc) ? doc : undefined;
  } catch {
    return undefined;
  }
}

export function parseNpmPackageJson(text: string, path: string): PackageDraft[] {
  const doc = parseJson(text);
  if (!doc || typeof doc.name !== 'string' || typeof doc.version !== 'string' || !doc.name || !doc.version) return [];
  const pkg: PackageDraft = { ecosystem: 'npm', name: doc.name, version: doc.version, path };
  const licenses = licenseOf(doc);
  if (licenses) pkg.licenses = licenses;
  return [pkg];
}

export function parseNpmLock(text: string, path: string): PackageDraft[] {
  const doc = parseJson(text);
  if (!doc) return [];
  const out: PackageDraft[] = [];
  const packages = doc.packages as Record<string, Record<string, unknown>> | undefined;
  if (packages && typeof packages === 'object') {
    for (const [key, entry] of Object.entries(packages)) {
      if (!key || !entry || typeof entry !== 'object' || entry.link === true) continue;
      const at = key.lastIndexOf('node_modules/');
      if (at < 0) continue; // workspace folders
      const name = typeof entry.name === 'string' ? entry.name : key.slice(at + 'node_modules/'.length);
      if (typeof entry.version !== 'string' || !entry.version) continue;
      const pkg: PackageDraft = { ecosystem: 'npm', name, version: entry.version, path };
      const licenses = licenseOf(entry);
      if (licenses) pkg.licenses = licenses;
      out.push(pkg);
    }
    return out;
  }
  const walk = (deps: unknown, depth: number) => {
    if (!deps || typeof deps !== 'object' || depth > 64) return;
    for (const [name, entry] of Object.entries(deps as Record<string, Record<string, unknown>>)) {
      if (!entry || typeof entry !== 'object') continue;
      if (typeof entry.version === 'string' && entry.version && !entry.version.startsWith('file:')) {
        out.push({ ecosystem: 'npm', name, version: entry.version, path });
      }
      walk(entry.dependencies, depth + 1);
    }
  };
  walk(doc.dependencies, 0);
  return out;
}
