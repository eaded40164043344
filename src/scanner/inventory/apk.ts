/** Alpine's /lib/apk/db/installed: blank-line separated records of `X:value` lines (P name, V version, o origin, L license, A arch). */
import type { PackageDraft } from './package-draft.ts';

export function parseApkInstalled(text: string, path: string): PackageDraft[] {
  const out: PackageDraft[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    const fields = new Map<string, string>();
    for (const line of block.split('\n')) {
      if (line.length >= 2 && line[1] === ':' && !fields.has(line[0])) fields.set(line[0], line.slice(2).trim());
    }
    const name = fields.get('P');
    const version = fields.get('V');
    if (!name || !version) continue;
    const pkg: PackageDraft = { ecosystem: 'apk', name, version, path };
    const origin = fields.get('o');
    if (origin) pkg.sourceName = origin;
    const license = fields.get('L');
    if (license) pkg.licenses = [license];
    if (fields.get('A')) pkg.arch = fields.get('A');
    out.push(pkg);
  }
  return out;
}
