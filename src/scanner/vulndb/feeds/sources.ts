/**
 * Turns the paths given to `scanner db import` into advisory records, recognising each file's
 * format by its content: a zip is OSV (all.zip); a JSON object with `packages` and
 * `distroversion` is an Alpine secdb file; an object of objects carrying `releases` is the
 * Debian tracker export; an object with `id` (or an array of such, or `{vulns: [...]}` as the
 * osv.dev API answers) is OSV. Directories are walked (sorted, *.json and *.zip).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FeedError, type AdvisoryRecord } from '../records.ts';
import { isObject, parseJson } from './read-json.ts';
import { parseOsvRecord, type OsvParseStats } from './osv.ts';
import { looksLikeDebianTracker, parseDebianTracker } from './debian-tracker.ts';
import { looksLikeAlpineSecdb, parseAlpineSecdb } from './alpine-secdb.ts';
import { readZipJson, zipEntryCount } from './zip.ts';

export interface FeedFile {
  path: string;
  kind: 'zip' | 'json';
  /** Units of progress: zip entries, or 1 for a JSON file. */
  units: number;
  mtime: Date;
}

export function listFeedFiles(paths: string[]): FeedFile[] {
  const out: FeedFile[] = [];
  const visit = (path: string, top: boolean) => {
    let st;
    try {
      st = statSync(path);
    } catch (err) {
      throw new FeedError(path, `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(path).sort()) if (!name.startsWith('.')) visit(join(path, name), false);
      return;
    }
    if (!st.isFile()) return;
    if (path.endsWith('.zip')) out.push({ path, kind: 'zip', units: 1, mtime: st.mtime });
    else if (path.endsWith('.json') || top) out.push({ path, kind: 'json', units: 1, mtime: st.mtime });
  };
  for (const p of paths) visit(p, true);
  if (out.length === 0) throw new FeedError(paths.join(', '), 'no feed files (*.json, *.zip) found');
  return out;
}

export async function countUnits(files: FeedFile[]): Promise<number> {
  let total = 0;
  for (const f of files) {
    if (f.kind === 'zip') {
      try {
        f.units = await zipEntryCount(f.path);
      } catch (err) {
        throw new FeedError(f.path, `not a readable zip: ${(err as Error).message}`);
      }
    }
    total += f.units;
  }
  return total;
}

export interface FeedBatch {
  file: string;
  /** Which format the batch came from, for the source's build time. */
  format: 'osv' | 'debian-tracker' | 'alpine-secdb';
  records: AdvisoryRecord[];
  /** A complete export of its sources (replaces them), rather than some advisories (updates). */
  snapshot: boolean;
  /** Progress units this batch completes. */
  units: number;
  mtime: Date;
}

function recordsOfJson(file: string, value: unknown, stats: OsvParseStats): { format: FeedBatch['format']; records: AdvisoryRecord[] } {
  if (looksLikeAlpineSecdb(value)) return { format: 'alpine-secdb', records: [...parseAlpineSecdb(file, value)] };
  if (Array.isArray(value)) return { format: 'osv', records: value.flatMap((v, i) => parseOsvRecord(`${file}[${i}]`, v, stats)) };
  if (isObject(value) && Array.isArray(value.vulns)) return { format: 'osv', records: value.vulns.flatMap((v, i) => parseOsvRecord(`${file} vulns[${i}]`, v, stats)) };
  if (isObject(value) && typeof value.id === 'string') return { format: 'osv', records: parseOsvRecord(file, value, stats) };
  if (looksLikeDebianTracker(value)) return { format: 'debian-tracker', records: [...parseDebianTracker(file, value)] };
  throw new FeedError(file, 'not a known feed format (OSV JSON, Debian security tracker JSON, Alpine secdb JSON)');
}

export async function* readFeeds(files: FeedFile[], stats: OsvParseStats): AsyncGenerator<FeedBatch> {
  for (const f of files) {
    if (f.kind === 'json') {
      let text: string;
      try {
        text = readFileSync(f.path, 'utf8');
      } catch (err) {
        throw new FeedError(f.path, `cannot read: ${(err as Error).message}`);
      }
      const { format, records } = recordsOfJson(f.path, parseJson(f.path, text), stats);
      yield { file: f.path, format, records, snapshot: format !== 'osv', units: 1, mtime: f.mtime };
      continue;
    }
    // A zip: OSV records, one per entry; batches of entries keep progress moving.
    let batch: AdvisoryRecord[] = [];
    let units = 0;
    try {
      for await (const entry of readZipJson(f.path)) {
        const name = `${f.path}!${entry.name}`;
        batch.push(...parseOsvRecord(name, parseJson(name, entry.text), stats));
        units++;
        if (units >= 500) {
          yield { file: f.path, format: 'osv', records: batch, snapshot: true, units, mtime: f.mtime };
          batch = [];
          units = 0;
        }
      }
    } catch (err) {
      if (err instanceof FeedError) throw err;
      throw new FeedError(f.path, `not a readable zip: ${(err as Error).message}`);
    }
    yield { file: f.path, format: 'osv', records: batch, snapshot: true, units, mtime: f.mtime };
  }
}
