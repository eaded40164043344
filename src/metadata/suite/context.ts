/**
 * What a section of the MetadataStore conformance suite gets, and small builders for test data.
 *
 * One store serves a whole suite run (a PostgreSQL schema per run is cheap, one per test is
 * not), so tests isolate themselves by name: `ctx.repo()` and `ctx.unique()` return names no
 * other test uses, and global lists (repositories, audit) are checked through such prefixes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CoreRoles, ManifestInput, TransactionalStore } from '../metadata-store.ts';
import { digestOf, type Digest } from '../../oci/index.ts';

export interface MetadataStoreFixture<R extends CoreRoles = CoreRoles> {
  store: TransactionalStore<R>;
  destroy(): Promise<void>;
}

/** `R`: the role objects a section needs besides the core's (a module's section names its own). */
export interface MetadataSuiteContext<R = unknown> {
  /** The store under test; call it inside tests (it is created in a `before` hook). */
  store(): TransactionalStore<CoreRoles & R>;
  /** A fresh repository name, e.g. `t17-k2x9/app`, unique within the run. */
  repo(label?: string): string;
  /** A fresh token for keys, actors, targets: unique within the run, lexically after every earlier one. */
  unique(label?: string): string;
}

/** A section adds one `describe` (per role object) to the suite. */
export type MetadataSuiteSection<R = unknown> = (ctx: MetadataSuiteContext<R>) => void;

/** A digest for a label (sha256 of the label). */
export const dg = (label: string): Digest => digestOf(label);

/** A plain image manifest record input referencing `blobs`. */
export function imageManifest(label: string, blobs: Digest[] = [dg(`${label}-config`), dg(`${label}-layer`)], extra: Partial<ManifestInput> = {}): ManifestInput {
  return {
    digest: dg(label),
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    size: 400,
    configDigest: blobs[0],
    configMediaType: 'application/vnd.oci.image.config.v1+json',
    architecture: 'amd64',
    os: 'linux',
    imageSize: 1234,
    blobs,
    children: [],
    ...extra,
  };
}

/** Lets the clock move on, so times of consecutive writes differ (the store keeps ms). */
export const tick = () => sleep(3);

export function createNames() {
  let n = 0;
  const run = Math.random().toString(36).slice(2, 8);
  const unique = (label = 'x') => `t${run}-${String(++n).padStart(4, '0')}-${label}`;
  return { unique, repo: (label = 'repo') => `${unique('r')}/${label}` };
}
