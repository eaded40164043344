import type { InstalledPackage } from '../types.ts';

/** A package as a record file lists it, before the layer and the purl (which needs the OS) are known. */
export type PackageDraft = Omit<InstalledPackage, 'purl' | 'layerDigest'> & {
  /** Architecture, for the purl's `arch` qualifier only. */
  arch?: string;
};

/** Identity of a package for layer attribution and de-duplication. */
export const draftKey = (p: PackageDraft) => `${p.ecosystem}\u0000${p.name}\u0000${p.version}`;

/**
 * Splits an RFC 822-style stanza file (dpkg status, Python METADATA headers) into paragraphs of
 * fields; continuation lines (leading space or tab) extend the previous field.
 */
export function parseStanzas(text: string): Map<string, string>[] {
  const out: Map<string, string>[] = [];
  let current = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split('\n')) {
    const l = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (l.trim() === '') {
      if (current.size) out.push(current);
      current = new Map();
      last = undefined;
      continue;
    }
    if ((l[0] === ' ' || l[0] === '\t') && last) {
      current.set(last, `${current.get(last)}\n${l.trim()}`);
      continue;
    }
    const colon = l.indexOf(':');
    if (colon <= 0) continue;
    last = l.slice(0, colon).trim();
    // The first occurrence wins (METADATA repeats Classifier:, License-File:).
    if (!current.has(last)) current.set(last, l.slice(colon + 1).trim());
  }
  if (current.size) out.push(current);
  return out;
}
