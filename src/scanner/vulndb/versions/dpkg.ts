/**
 * Debian version ordering (Debian Policy Manual 5.6.12, the algorithm dpkg implements):
 * `[epoch:]upstream_version[-debian_revision]`. Epochs compare numerically; the other two parts
 * are compared by alternating non-digit and digit runs, where letters sort before non-letters and
 * `~` sorts before everything, even the end of the string (so `1.0~rc1` < `1.0`).
 * No npm library implements this with a maintained record, so it is written here and tested with
 * the policy manual's and dpkg's own examples (dpkg.test.ts).
 */

export interface DebianVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

export function parseDebianVersion(version: string): DebianVersion {
  const v = version.trim();
  const colon = v.indexOf(':');
  let epoch = 0;
  let rest = v;
  if (colon >= 0) {
    const e = v.slice(0, colon);
    if (!/^\d+$/.test(e)) throw new Error(`invalid Debian version ${JSON.stringify(version)}: epoch must be a number`);
    epoch = Number(e);
    rest = v.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  const upstream = dash >= 0 ? rest.slice(0, dash) : rest;
  const revision = dash >= 0 ? rest.slice(dash + 1) : '';
  if (upstream === '') throw new Error(`invalid Debian version ${JSON.stringify(version)}: empty upstream version`);
  return { epoch, upstream, revision };
}

/** Sort weight of one character in a non-digit run: ~ first, then end of string, letters, others. */
function order(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c === '~') return -1;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

function comparePart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    // Non-digit prefix, character by character.
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ca = i < a.length && !isDigit(a[i]) ? a[i] : undefined;
      const cb = j < b.length && !isDigit(b[j]) ? b[j] : undefined;
      const d = order(ca) - order(cb);
      if (d !== 0) return d < 0 ? -1 : 1;
      if (ca !== undefined) i++;
      if (cb !== undefined) j++;
    }
    // Digit run, numerically (leading zeros ignored; compared as strings to allow any length).
    let na = '';
    let nb = '';
    while (isDigit(a[i])) na += a[i++];
    while (isDigit(b[j])) nb += b[j++];
    na = na.replace(/^0+/, '');
    nb = nb.replace(/^0+/, '');
    if (na.length !== nb.length) return na.length < nb.length ? -1 : 1;
    if (na !== nb) return na < nb ? -1 : 1;
  }
  return 0;
}

export function compareDebianVersions(a: string, b: string): number {
  const va = parseDebianVersion(a);
  const vb = parseDebianVersion(b);
  if (va.epoch !== vb.epoch) return va.epoch < vb.epoch ? -1 : 1;
  return comparePart(va.upstream, vb.upstream) || comparePart(va.revision, vb.revision);
}
