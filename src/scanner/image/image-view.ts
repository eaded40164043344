/**
 * The image's files as the inventory sees them, built layer by layer in order: a layer's
 * whiteouts and opaque directories remove what lower layers left (never what the same layer
 * adds), then its entries replace lower ones at the same path. Record files are parsed as they
 * are applied, so only their packages are kept, each attributed to the lowest layer whose copy
 * of that record already listed it (the layer that introduced it).
 */
import { ScanError } from '../scan-error.ts';
import { draftKey, type PackageDraft } from '../inventory/package-draft.ts';
import { goPackages, parseRecord } from '../inventory/parse-record.ts';
import type { LayerContents } from './layer-walker.ts';
import { resolveLinkTarget, type RecordKind } from './record-paths.ts';

export interface AttributedPackage {
  draft: PackageDraft;
  layerDigest: string;
}

type ViewEntry =
  | { kind: 'packages'; record: RecordKind | 'go-binary'; layer: string; packages: AttributedPackage[] }
  | { kind: 'raw'; record: RecordKind; layer: string; data: Buffer }
  | { kind: 'symlink'; layer: string; target: string };

/** The kernel's limit on symlinks followed in one lookup. */
const MAX_HOPS = 40;

export class ImageView {
  private readonly entries = new Map<string, ViewEntry>();

  has(path: string): boolean {
    return this.entries.has(path);
  }

  get size(): number {
    return this.entries.size;
  }

  apply(layer: LayerContents): void {
    const removed = new Set(layer.whiteouts);
    const subtrees = new Set([...layer.whiteouts, ...layer.opaqueDirs]);
    if (subtrees.size) {
      for (const path of [...this.entries.keys()]) {
        if (removed.has(path) || subtrees.has('') || ancestors(path).some((a) => subtrees.has(a))) this.entries.delete(path);
      }
    }
    for (const [path, entry] of layer.entries) {
      const lower = this.entries.get(path);
      switch (entry.kind) {
        case 'shadow':
          this.entries.delete(path);
          break;
        case 'symlink':
          this.entries.set(path, { kind: 'symlink', layer: layer.digest, target: entry.target });
          break;
        case 'go-binary':
          this.entries.set(path, { kind: 'packages', record: 'go-binary', layer: layer.digest, packages: attribute(goPackages(entry.info, path), layer.digest, lower) });
          break;
        case 'hardlink': {
          const target = layer.entries.get(entry.target);
          if (target?.kind === 'record') this.setRecord(path, target.record, target.data, layer.digest, lower);
          else {
            const viewTarget = this.entries.get(entry.target);
            if (viewTarget && viewTarget.kind !== 'symlink') this.entries.set(path, { ...viewTarget, layer: layer.digest });
            else this.entries.delete(path);
          }
          break;
        }
        case 'record':
          this.setRecord(path, entry.record, entry.data, layer.digest, lower);
          break;
      }
    }
  }

  private setRecord(path: string, record: RecordKind, data: Buffer, layer: string, lower: ViewEntry | undefined): void {
    if (record === 'os-release') this.entries.set(path, { kind: 'raw', record, layer, data });
    else this.entries.set(path, { kind: 'packages', record, layer, packages: attribute(parseRecord(record, path, data), layer, lower) });
  }

  /** Every package still visible in the final image, in path order. */
  packages(): AttributedPackage[] {
    const out: AttributedPackage[] = [];
    for (const path of [...this.entries.keys()].sort()) {
      const e = this.entries.get(path)!;
      if (e.kind === 'packages') out.push(...e.packages);
    }
    return out;
  }

  /** The raw bytes at a path, following symlinks in any component (bounded: SYMLINK_LOOP). */
  readRaw(path: string): Buffer | undefined {
    const resolved = this.resolve(path);
    const e = resolved === undefined ? undefined : this.entries.get(resolved);
    return e?.kind === 'raw' ? e.data : undefined;
  }

  /** The real path a path leads to, or undefined when nothing (kept) is there. */
  resolve(path: string): string | undefined {
    let pending = path.split('/').filter(Boolean);
    let done: string[] = [];
    let hops = 0;
    while (pending.length) {
      const next = [...done, pending[0]].join('/');
      const e = this.entries.get(next);
      if (e?.kind === 'symlink') {
        if (++hops > MAX_HOPS) throw new ScanError('SYMLINK_LOOP', `${path}: more than ${MAX_HOPS} symbolic links (last ${next} -> ${e.target})`);
        pending = [...resolveLinkTarget(next, e.target), ...pending.slice(1)];
        done = [];
        continue;
      }
      done.push(pending.shift()!);
    }
    return done.join('/');
  }
}

function ancestors(path: string): string[] {
  const parts = path.split('/');
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join('/'));
  return out;
}

/** Packages of a new copy of a record keep the layer of the copy below that already listed them. */
function attribute(drafts: PackageDraft[], layer: string, lower: ViewEntry | undefined): AttributedPackage[] {
  const before = new Map<string, string>();
  if (lower?.kind === 'packages') for (const p of lower.packages) before.set(draftKey(p.draft), p.layerDigest);
  return drafts.map((draft) => ({ draft, layerDigest: before.get(draftKey(draft)) ?? layer }));
}
