/**
 * dpkg's database: /var/lib/dpkg/status (every package dpkg knows, with its Status) and the
 * per-package files of distroless images' /var/lib/dpkg/status.d/ (no Status: all installed).
 * `Source: name` or `Source: name (version)` names the source package advisories are filed under.
 */
import { parseStanzas, type PackageDraft } from './package-draft.ts';

export function parseDpkgStatus(text: string, path: string): PackageDraft[] {
  const out: PackageDraft[] = [];
  for (const stanza of parseStanzas(text)) {
    const name = stanza.get('Package');
    const version = stanza.get('Version');
    if (!name || !version) continue;
    // "install ok installed"; half-installed, config-files (removed), not-installed are skipped.
    const status = stanza.get('Status');
    if (status !== undefined && status.split(/\s+/)[2] !== 'installed') continue;
    const pkg: PackageDraft = { ecosystem: 'dpkg', name, version, path };
    const source = stanza.get('Source');
    if (source) {
      const m = /^(\S+)(?:\s+\(([^)]+)\))?$/.exec(source);
      if (m) {
        pkg.sourceName = m[1];
        if (m[2] && m[2] !== version) pkg.sourceVersion = m[2];
      }
    }
    const arch = stanza.get('Architecture');
    if (arch) pkg.arch = arch;
    out.push(pkg);
  }
  return out;
}
