/**
 * RPM's SQLite database (`rpmdb.sqlite`, RHEL/Fedora/Rocky 9+, UBI 9): table `Packages(hnum,
 * blob)`, each blob an RPM header without its 8-byte magic: int32 index count, int32 data
 * length, 16-byte index entries (tag, type, offset, count; big-endian), then the data store.
 * better-sqlite3 reads the file (written to a private temp file: SQLite cannot open a buffer);
 * every offset is bounds-checked, so a corrupt header is skipped, never read past.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PackageDraft } from './package-draft.ts';

const TAG = { name: 1000, version: 1001, release: 1002, epoch: 1003, license: 1014, arch: 1022, sourceRpm: 1044 } as const;
const TYPE_INT32 = 4;
const TYPE_STRING = 6;
const TYPE_I18NSTRING = 9;
const MAX_ENTRIES = 100_000;

export interface RpmHeader {
  name?: string;
  version?: string;
  release?: string;
  epoch?: number;
  license?: string;
  arch?: string;
  sourceRpm?: string;
}

/** Reads the tags the inventory needs from one header blob; undefined when it is malformed. */
export function parseRpmHeader(blob: Buffer): RpmHeader | undefined {
  if (blob.length < 8) return undefined;
  const il = blob.readInt32BE(0);
  const dl = blob.readInt32BE(4);
  if (il < 1 || il > MAX_ENTRIES || dl < 0 || 8 + il * 16 + dl > blob.length) return undefined;
  const store = 8 + il * 16;
  const out: RpmHeader = {};
  const wanted = new Map<number, keyof RpmHeader>(Object.entries(TAG).map(([k, v]) => [v, k as keyof RpmHeader]));
  for (let i = 0; i < il; i++) {
    const at = 8 + i * 16;
    const key = wanted.get(blob.readInt32BE(at));
    if (!key) continue;
    const type = blob.readInt32BE(at + 4);
    const offset = blob.readInt32BE(at + 8);
    if (offset < 0 || offset >= dl) return undefined;
    if (type === TYPE_INT32 && key === 'epoch') {
      if (offset + 4 > dl) return undefined;
      out.epoch = blob.readInt32BE(store + offset);
    } else if ((type === TYPE_STRING || type === TYPE_I18NSTRING) && key !== 'epoch') {
      const end = blob.indexOf(0, store + offset);
      if (end < 0 || end > store + dl) return undefined;
      out[key] = blob.toString('utf8', store + offset, end);
    }
  }
  return out;
}

/** The source package name from a source RPM file name: `openssl-3.0.7-27.el9.src.rpm` -> `openssl`. */
export function sourceRpmName(sourceRpm: string): string | undefined {
  const m = /^(.+)-[^-]+-[^-]+\.(?:no)?src\.rpm$/.exec(sourceRpm);
  return m?.[1];
}

export function parseRpmDatabase(data: Buffer, path: string): PackageDraft[] {
  const dir = mkdtempSync(join(tmpdir(), 'lazaret-rpmdb-'));
  try {
    const file = join(dir, 'rpmdb.sqlite');
    writeFileSync(file, data, { mode: 0o600 });
    let db: Database.Database;
    try {
      db = new Database(file, { readonly: true, fileMustExist: true });
    } catch {
      return [];
    }
    try {
      const rows = db.prepare('SELECT blob FROM Packages').all() as { blob: Buffer }[];
      const out: PackageDraft[] = [];
      for (const { blob } of rows) {
        const h = parseRpmHeader(blob);
        if (!h?.name || !h.version || h.name === 'gpg-pubkey') continue;
        const version = `${h.epoch ? `${h.epoch}:` : ''}${h.version}${h.release ? `-${h.release}` : ''}`;
        const pkg: PackageDraft = { ecosystem: 'rpm', name: h.name, version, path };
        const source = h.sourceRpm ? sourceRpmName(h.sourceRpm) : undefined;
        if (source) pkg.sourceName = source;
        if (h.license) pkg.licenses = [h.license];
        if (h.arch) pkg.arch = h.arch;
        out.push(pkg);
      }
      return out;
    } catch {
      return [];
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
