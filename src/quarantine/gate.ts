/**
 * THE gate: the one place that decides whether held content is visible. Every read path
 * (manifest GET/HEAD by tag or digest, blob GET/HEAD, cross-repository mounts, tag lists, the
 * catalog, referrers, /acr/v1 lists and attributes, and the portal through those APIs) asks
 * it. No handler decides visibility on its own.
 *
 * The rules are docs/quarantine.md "The gate". Refusals are RegistryErrors carrying a
 * `Warning: 299` header that names the verdict.
 */
import type { AccessContext } from '../access/actions.ts';
import type { Digest } from '../oci/index.ts';
import type { ManifestHead, ManifestRecord, TagRecord } from '../metadata/metadata-store.ts';

export type ReadMethod = 'GET' | 'HEAD';

export interface Gate {
  /**
   * A manifest read. `via` is how the client named it. Resolves when allowed; throws
   * MANIFEST_UNKNOWN (by tag, hidden) or IMAGE_QUARANTINED (by digest) otherwise. Takes the
   * row without its reference lists (ManifestStore.getHead); a full record is one too.
   */
  checkManifestRead(access: AccessContext, manifest: ManifestHead, via: 'tag' | 'digest', method: ReadMethod): Promise<void>;

  /** A blob read from a repository. Throws IMAGE_QUARANTINED when only held manifests reach it. */
  checkBlobRead(access: AccessContext, repository: string, digest: Digest, method: ReadMethod): Promise<void>;

  /** Whether a cross-repository mount from `repository` may proceed (false: fall back to an upload session). */
  canMount(access: AccessContext, repository: string, digest: Digest): Promise<boolean>;

  /** Filters tags for lists (tags list, /acr/v1 _tags). Keeps order. */
  visibleTags<T extends Pick<TagRecord, 'name' | 'digest'>>(access: AccessContext, repository: string, tags: T[]): Promise<T[]>;

  /** Filters manifests for lists (referrers, /acr/v1 _manifests). Keeps order. */
  visibleManifests(access: AccessContext, repository: string, manifests: ManifestRecord[]): Promise<ManifestRecord[]>;

  /** Filters repository names for catalogs: a repository with nothing visible is left out. */
  visibleRepositories(access: AccessContext, names: string[]): Promise<string[]>;

  /**
   * Whether the caller may see held content of `repository` whatever the policy (quarantine
   * read or write). The rule behind every check above, for views of held content that are not
   * reads of it: the quarantine queue and the audit log's verdict entries.
   */
  readsHeld(access: AccessContext, repository: string): boolean;

  /**
   * Whether held content of `repository` is hidden from the caller right now (policy enabled,
   * no quarantine read): aggregates such as /acr/v1 repository counts then count released
   * content only.
   */
  hidesHeld(access: AccessContext, repository: string): Promise<boolean>;

  /**
   * Whether the gate withholds unreleased content of `repository` right now (the switch, or a
   * release policy governing it), whoever asks: a manifest without a verdict waits there.
   */
  gates(repository: string): Promise<boolean>;
}

/** True when the principal may see held content of `repository`. */
export function canReadHeld(access: AccessContext, repository: string): boolean {
  return access.can(repository, 'quarantine_read') || access.can(repository, 'quarantine_write');
}
