/** /etc/os-release (os-release(5)): shell-style KEY=value lines, values optionally quoted. */
import type { OsRelease } from '../types.ts';

export function parseOsRelease(text: string): OsRelease | undefined {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let value = m[2].trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) {
      value = value.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
    }
    fields.set(m[1], value);
  }
  const id = fields.get('ID')?.toLowerCase();
  if (!id) return undefined;
  const os: OsRelease = { id };
  if (fields.get('VERSION_ID')) os.versionId = fields.get('VERSION_ID');
  if (fields.get('VERSION_CODENAME')) os.codename = fields.get('VERSION_CODENAME');
  if (fields.get('PRETTY_NAME')) os.prettyName = fields.get('PRETTY_NAME');
  return os;
}
