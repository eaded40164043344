/** Installed Python distributions: `*.dist-info/METADATA` and `*.egg-info/PKG-INFO` (core metadata headers). */
import { parseStanzas, type PackageDraft } from './package-draft.ts';

export function parsePythonMetadata(text: string, path: string): PackageDraft[] {
  // Only the header block: the description body follows the first blank line.
  const [headers] = parseStanzas(text.split(/\r?\n\r?\n/, 1)[0]);
  const name = headers?.get('Name');
  const version = headers?.get('Version');
  if (!name || !version) return [];
  const pkg: PackageDraft = { ecosystem: 'pypi', name, version, path };
  const expression = headers.get('License-Expression');
  const license = expression ?? headers.get('License');
  if (license && license !== 'UNKNOWN' && !license.includes('\n') && license.length <= 200) pkg.licenses = [license];
  return [pkg];
}
