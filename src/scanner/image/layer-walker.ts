/**
 * Walks one layer's tar stream once: keeps the package records (bounded by maxFileBytes each),
 * the symlinks the inventory may have to follow, the Go build info of ELF executables, and the
 * layer's whiteouts (`.wh.NAME`) and opaque directories (`.wh..wh..opq`). Nothing is written
 * to disk; every other byte is streamed past.
 */
import type { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { ScanError } from '../scan-error.ts';
import { GoBuildInfoScanner, type GoBuildInfo } from '../inventory/go-buildinfo.ts';
import type { ScanLimits } from './limits.ts';
import { entryPath, recordKind, type RecordKind } from './record-paths.ts';

export type LayerEntry =
  | { kind: 'record'; record: RecordKind; data: Buffer }
  | { kind: 'symlink'; target: string }
  | { kind: 'hardlink'; target: string }
  | { kind: 'go-binary'; info: GoBuildInfo }
  /** A non-record entry at a path a lower layer had a kept entry at: it hides that entry. */
  | { kind: 'shadow' };

export interface LayerContents {
  digest: string;
  entries: Map<string, LayerEntry>;
  whiteouts: string[];
  opaqueDirs: string[];
  /** Bytes of kept data (records and link targets), counted against maxKeptBytes. */
  keptBytes: number;
}

/** Symlinks are kept when the inventory could need them: at record paths, or near the root (`lib -> usr/lib`). */
const SHALLOW_LINK_DEPTH = 3;
const MAX_LINK_TARGET = 4096;

export interface WalkOptions {
  limits: ScanLimits;
  /** Whether a lower layer left a kept entry at this path (so this layer's entry must hide it). */
  lowerHas(path: string): boolean;
  /** Budget left for kept bytes and entries before this layer. */
  budget: { bytes: number; entries: number };
}

async function readRecord(stream: AsyncIterable<unknown> & { resume(): unknown }, path: string, size: number, limits: ScanLimits): Promise<Buffer> {
  if (size > limits.maxFileBytes) {
    stream.resume();
    throw new ScanError('FILE_TOO_LARGE', `${path} is ${size} bytes (limit ${limits.maxFileBytes})`);
  }
  const parts: Buffer[] = [];
  let read = 0;
  for await (const chunk of stream) {
    read += (chunk as Buffer).length;
    if (read > limits.maxFileBytes) throw new ScanError('FILE_TOO_LARGE', `${path} is larger than ${limits.maxFileBytes} bytes`);
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts);
}

async function scanGoBinary(stream: AsyncIterable<unknown>): Promise<GoBuildInfo | undefined> {
  const scanner = new GoBuildInfoScanner();
  for await (const chunk of stream) {
    if (scanner.wantsMore) scanner.push(chunk as Buffer);
  }
  return scanner.result();
}

export async function walkLayer(tar: Readable, digest: string, options: WalkOptions): Promise<LayerContents> {
  const { limits, budget } = options;
  const contents: LayerContents = { digest, entries: new Map(), whiteouts: [], opaqueDirs: [], keptBytes: 0 };
  const keep = (path: string, entry: LayerEntry, bytes: number) => {
    contents.keptBytes += bytes;
    if (contents.keptBytes > budget.bytes) throw new ScanError('INVENTORY_TOO_LARGE', `kept package records exceed ${limits.maxKeptBytes} bytes (at ${path} in layer ${digest})`);
    if (contents.entries.size >= budget.entries) throw new ScanError('INVENTORY_TOO_LARGE', `more than ${limits.maxKeptEntries} kept entries (at ${path} in layer ${digest})`);
    contents.entries.set(path, entry);
  };
  const walker = extract();
  tar.on('error', (err) => walker.destroy(err));
  tar.pipe(walker);
  try {
    for await (const entry of walker) {
      const { header } = entry;
      const path = entryPath(header.name, digest);
      const slash = path.lastIndexOf('/');
      const base = path.slice(slash + 1);
      const dir = slash < 0 ? '' : path.slice(0, slash);
      if (base === '.wh..wh..opq') {
        contents.opaqueDirs.push(dir);
        entry.resume();
        continue;
      }
      if (base.startsWith('.wh.')) {
        contents.whiteouts.push(dir ? `${dir}/${base.slice(4)}` : base.slice(4));
        entry.resume();
        continue;
      }
      const record = path ? recordKind(path) : undefined;
      if (header.type === 'file' || header.type === 'contiguous-file') {
        if (record) {
          const data = await readRecord(entry, path, header.size ?? 0, limits);
          keep(path, { kind: 'record', record, data }, data.length);
          continue;
        }
        if (((header.mode ?? 0) & 0o111) !== 0 && (header.size ?? 0) >= 64) {
          const info = await scanGoBinary(entry);
          if (info) keep(path, { kind: 'go-binary', info }, 1024 + info.deps.length * 128);
          else if (options.lowerHas(path)) keep(path, { kind: 'shadow' }, path.length);
          continue;
        }
      } else if (header.type === 'symlink' && (record || path.split('/').length <= SHALLOW_LINK_DEPTH)) {
        const target = header.linkname ?? '';
        if (target.length <= MAX_LINK_TARGET) {
          keep(path, { kind: 'symlink', target }, path.length + target.length);
          entry.resume();
          continue;
        }
      } else if (header.type === 'link' && record) {
        keep(path, { kind: 'hardlink', target: entryPath(header.linkname ?? '', digest) }, path.length * 2);
        entry.resume();
        continue;
      }
      if (path && options.lowerHas(path)) keep(path, { kind: 'shadow' }, path.length);
      entry.resume();
    }
  } catch (err) {
    walker.destroy();
    tar.destroy();
    if (err instanceof ScanError) throw err;
    throw new ScanError('LAYER_MALFORMED', `layer ${digest}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return contents;
}
