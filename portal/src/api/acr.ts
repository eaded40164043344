/**
 * /acr/v1 and /v2 reads and the verdict PATCH, typed after ACR's public API reference
 * section 3. Every call names the Docker scope it needs; the token service adds the caller's
 * quarantine actions to a repository token by itself (docs/quarantine.md "Verdicts").
 */
import { api, apiRaw, nextLink } from './client.ts';

export type QuarantineState = 'Quarantined' | 'Passed' | 'Failed';

export interface ChangeableAttributes {
  deleteEnabled?: boolean;
  writeEnabled?: boolean;
  readEnabled?: boolean;
  listEnabled?: boolean;
  quarantineState?: QuarantineState | string;
  quarantineDetails?: string;
}

export interface RepositoryAttributes {
  registry: string;
  imageName: string;
  createdTime: string;
  lastUpdateTime: string;
  manifestCount: number;
  tagCount: number;
  changeableAttributes?: ChangeableAttributes;
}

export interface TagAttributes {
  name: string;
  digest: string;
  createdTime: string;
  lastUpdateTime: string;
  signed?: boolean;
  quarantineState?: string;
  changeableAttributes?: ChangeableAttributes;
}

export interface ManifestReference {
  digest: string;
  architecture?: string;
  os?: string;
}

export interface ManifestAttributes {
  digest: string;
  imageSize?: number;
  createdTime: string;
  lastUpdateTime: string;
  architecture?: string | null;
  os?: string | null;
  references?: ManifestReference[] | null;
  mediaType?: string;
  configMediaType?: string | null;
  tags?: string[] | null;
  changeableAttributes?: ChangeableAttributes;
}

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
  const { data, response } = await apiRaw<{ repositories: string[] | null }>(url, { scope: CATALOG_SCOPE });
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
  const { data, response } = await apiRaw<{ tags: TagAttributes[] | null }>(url, { scope: readScope(name) });
  return { items: data?.tags ?? [], next: nextLink(response) };
}

export async function listManifests(name: string, pageUrl: string | null = null): Promise<Page<ManifestAttributes>> {
  const url = pageUrl ?? `/acr/v1/${enc(name)}/_manifests?n=100&orderby=timedesc`;
  const { data, response } = await apiRaw<{ manifests: ManifestAttributes[] | null }>(url, { scope: readScope(name) });
  return { items: data?.manifests ?? [], next: nextLink(response) };
}

export async function getManifestAttributes(name: string, digest: string): Promise<ManifestAttributes> {
  const body = await api<{ manifest: ManifestAttributes }>(`/acr/v1/${enc(name)}/_manifests/${encodeURIComponent(digest)}`, {
    scope: readScope(name),
  });
  return body.manifest;
}

/** Sets a verdict (and optional details JSON string). Needs quarantine write on the repository. */
export async function setVerdict(name: string, digest: string, state: QuarantineState, details?: string, note?: string): Promise<ManifestAttributes> {
  const attrs: ChangeableAttributes = { quarantineState: state };
  if (details !== undefined) attrs.quarantineDetails = details;
  const body = await api<{ manifest: ManifestAttributes }>(`/acr/v1/${enc(name)}/_manifests/${encodeURIComponent(digest)}`, {
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

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: { architecture?: string; os?: string; variant?: string };
}

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
  return api<ManifestDocument>(`/v2/${enc(name)}/referrers/${encodeURIComponent(digest)}`, {
    scope: `repository:${name}:pull`,
    headers: { Accept: 'application/vnd.oci.image.index.v1+json' },
  });
}

/** The verdict a manifest or tag shows: the explicit state, else "none". */
export function verdictOf(attrs: { quarantineState?: string; changeableAttributes?: ChangeableAttributes } | undefined): string {
  return attrs?.changeableAttributes?.quarantineState ?? attrs?.quarantineState ?? 'none';
}
