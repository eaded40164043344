/**
 * /acr/v1 and /v2 reads and the verdict PATCH, typed after ACR's public API reference
 * section 3. Every call names the Docker scope it needs; the token service adds the caller's
 * quarantine actions to a repository token by itself (docs/quarantine.md "Verdicts").
 */
import type { Static } from 'typebox';
import type * as Acr from '../../../src/acr-api/acr-schemas.ts';
import type * as V2 from '../../../src/distribution/v2-schemas.ts';
import { api, apiRaw, nextLink } from './client.ts';

/** The shapes of the routes' schemas (src/acr-api/acr-schemas.ts, src/distribution/v2-schemas.ts). */
export type QuarantineState = Static<typeof Acr.QuarantineState>;
/** The PATCH body: any of the changeable attributes, and (with quarantine write) the verdict. */
export type ChangeableAttributes = Partial<Static<typeof Acr.ManifestChangeableAttributes>>;
export type RepositoryAttributes = Static<typeof Acr.RepositoryAttributes>;
export type TagAttributes = Static<typeof Acr.TagAttributes>;
export type ManifestReference = Static<typeof Acr.ManifestReference>;
export type ManifestAttributes = Static<typeof Acr.ManifestAttributes>;

export interface Page<T> {
  items: T[];
  next: string | null;
}

export const readScope = (name: string) => `repository:${name}:pull,metadata_read`;
export const writeScope = (name: string) => `repository:${name}:pull,metadata_read,metadata_write`;
/** Header carrying a person's note into the verdict's audit entry (percent-encoded UTF-8). */
export const NOTE_HEADER = 'X-Lazaret-Audit-Note';
export const CATALOG_SCOPE = 'registry:catalog:*';

const enc = (name: string) => name.split('/').map(encodeURIComponent).join('/');

export async function listRepositories(pageUrl: string | null, n = 50): Promise<Page<string>> {
  const url = pageUrl ?? `/acr/v1/_catalog?n=${n}`;
  const { data, response } = await apiRaw<Static<typeof Acr.AcrCatalog>>(url, { scope: CATALOG_SCOPE });
  return { items: data?.repositories ?? [], next: nextLink(response) };
}

/** Every repository name (follows Link pages; capped so a huge registry cannot stall a page). */
export async function allRepositories(cap = 2000): Promise<{ names: string[]; truncated: boolean }> {
  const names: string[] = [];
  let next: string | null = null;
  do {
    const page = await listRepositories(next, 500);
    names.push(...page.items);
    next = page.next;
  } while (next && names.length < cap);
  return { names, truncated: next !== null };
}

export function getRepository(name: string) {
  return api<RepositoryAttributes>(`/acr/v1/${enc(name)}`, { scope: readScope(name) });
}

export async function listTags(name: string, pageUrl: string | null = null): Promise<Page<TagAttributes>> {
  const url = pageUrl ?? `/acr/v1/${enc(name)}/_tags?n=100&orderby=timedesc`;
  const { data, response } = await apiRaw<Static<typeof Acr.AcrTagList>>(url, { scope: readScope(name) });
  return { items: data?.tags ?? [], next: nextLink(response) };
}

export async function listManifests(name: string, pageUrl: string | null = null): Promise<Page<ManifestAttributes>> {
  const url = pageUrl ?? `/acr/v1/${enc(name)}/_manifests?n=100&orderby=timedesc`;
  const { data, response } = await apiRaw<Static<typeof Acr.AcrManifestList>>(url, { scope: readScope(name) });
  return { items: data?.manifests ?? [], next: nextLink(response) };
}

export async function getManifestAttributes(name: string, digest: string): Promise<ManifestAttributes> {
  const body = await api<Static<typeof Acr.AcrManifest>>(`/acr/v1/${enc(name)}/_manifests/${encodeURIComponent(digest)}`, {
    scope: readScope(name),
  });
  return body.manifest;
}

/** Sets a verdict (and optional details JSON string). Needs quarantine write on the repository. */
export async function setVerdict(name: string, digest: string, state: QuarantineState, details?: string, note?: string): Promise<ManifestAttributes> {
  const attrs: ChangeableAttributes = { quarantineState: state };
  if (details !== undefined) attrs.quarantineDetails = details;
  const body = await api<Static<typeof Acr.AcrManifest>>(`/acr/v1/${enc(name)}/_manifests/${encodeURIComponent(digest)}`, {
    method: 'PATCH',
    scope: writeScope(name),
    body: attrs,
    // The note is audit text only; it never changes the stored verdict or its details.
    headers: note ? { [NOTE_HEADER]: encodeURIComponent(note) } : {},
  });
  return body.manifest;
}

export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export type Descriptor = Static<typeof V2.OciDescriptor>;

/**
 * A manifest as pushed (an image manifest or an index, OCI image spec): the registry serves the
 * pushed bytes and builds no such document, so this is the image spec's shape, read loosely.
 */
export interface ManifestDocument {
  schemaVersion?: number;
  mediaType?: string;
  artifactType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export function getManifestDocument(name: string, reference: string) {
  return api<ManifestDocument>(`/v2/${enc(name)}/manifests/${encodeURIComponent(reference)}`, {
    scope: `repository:${name}:pull`,
    headers: { Accept: MANIFEST_ACCEPT },
  });
}

/** An image's config blob (OCI image spec, config.md), as pushed: not a document of the registry's. */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  created?: string;
  author?: string;
  config?: { Env?: string[]; Entrypoint?: string[] | null; Cmd?: string[] | null; User?: string; WorkingDir?: string; Labels?: Record<string, string> | null; ExposedPorts?: Record<string, unknown> };
  history?: { created?: string; created_by?: string; empty_layer?: boolean; comment?: string }[];
}

export function getBlobJson<T>(name: string, digest: string) {
  return api<T>(`/v2/${enc(name)}/blobs/${encodeURIComponent(digest)}`, { scope: `repository:${name}:pull` });
}

export function getReferrers(name: string, digest: string) {
  return api<Static<typeof V2.V2ReferrersIndex>>(`/v2/${enc(name)}/referrers/${encodeURIComponent(digest)}`, {
    scope: `repository:${name}:pull`,
    headers: { Accept: 'application/vnd.oci.image.index.v1+json' },
  });
}

/** The verdict a manifest or tag shows: the explicit state, else "none". */
export function verdictOf(attrs: { quarantineState?: string; changeableAttributes?: ChangeableAttributes } | undefined): string {
  return attrs?.changeableAttributes?.quarantineState ?? attrs?.quarantineState ?? 'none';
}
