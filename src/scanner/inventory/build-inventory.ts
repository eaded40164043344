/** The final inventory of an image view: the OS, then every visible package once, with its purl. */
import type { ImageView } from '../image/image-view.ts';
import type { InstalledPackage, Inventory } from '../types.ts';
import { parseOsRelease } from './os-release.ts';
import { draftKey } from './package-draft.ts';
import { purlOf } from './purl.ts';

export function buildInventory(view: ImageView): Inventory {
  const osText = view.readRaw('etc/os-release') ?? view.readRaw('usr/lib/os-release');
  const os = osText ? parseOsRelease(osText.toString('utf8')) : undefined;
  const seen = new Set<string>();
  const packages: InstalledPackage[] = [];
  for (const { draft, layerDigest } of view.packages()) {
    const key = draftKey(draft);
    if (seen.has(key)) continue;
    seen.add(key);
    const { arch: _arch, ...rest } = draft;
    packages.push({ ...rest, purl: purlOf(draft, os), layerDigest });
  }
  return os ? { os, packages } : { packages };
}
