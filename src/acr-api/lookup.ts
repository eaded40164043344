/**
 * Loading what an /acr/v1 request names, through the gate. Every read of a repository, tag or
 * manifest in /acr/v1 goes through one of these, so no handler decides visibility itself:
 * - a repository with nothing visible to the caller answers NAME_UNKNOWN, as if absent;
 * - a tag of a held manifest answers MANIFEST_UNKNOWN with the same message as a missing tag
 *   (plus the gate's Warning header);
 * - a held manifest by digest answers 403 IMAGE_QUARANTINED.
 */
import type { FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import type { ManifestRecord, RepositoryRecord, TagRecord } from '../metadata/metadata-store.ts';
import type { Digest } from '../oci/digest.ts';
import { isDigest } from '../oci/digest.ts';
import { isValidTag } from '../oci/name.ts';
import { RegistryError, registryError } from '../errors/registry-error.ts';
import type { Params } from '../distribution/params.ts';

export function pathTag(request: FastifyRequest): string {
  const tag = (request.params as Params).reference ?? '';
  if (!isValidTag(tag)) throw registryError('TAG_INVALID', `invalid tag: ${JSON.stringify(tag.slice(0, 200))}`, { tag: tag.slice(0, 200) });
  return tag;
}

export function pathDigest(request: FastifyRequest): Digest {
  const digest = (request.params as Params).digest ?? '';
  if (!isDigest(digest)) {
    throw registryError('DIGEST_INVALID', 'digest is malformed or uses an unsupported algorithm (sha256 and sha512 are supported)', { digest: digest.slice(0, 200) });
  }
  return digest;
}

const nameUnknown = (name: string) => registryError('NAME_UNKNOWN', undefined, { name });

/** The repository, when it exists and the caller can see something in it. */
export async function visibleRepository(services: Services, request: FastifyRequest, name: string): Promise<RepositoryRecord> {
  const repo = await services.store.repositories.get(name);
  if (!repo) throw nameUnknown(name);
  if ((await services.gate.visibleRepositories(request.access, [name])).length === 0) throw nameUnknown(name);
  return repo;
}

/** The manifest by digest, after the gate. */
export async function readableManifest(services: Services, request: FastifyRequest, name: string, digest: Digest): Promise<ManifestRecord> {
  const manifest = await services.store.manifests.get(name, digest);
  if (!manifest) {
    if (!(await services.store.repositories.get(name))) throw nameUnknown(name);
    throw registryError('MANIFEST_UNKNOWN', `manifest ${digest} is not found`, { name, digest });
  }
  await services.gate.checkManifestRead(request.access, manifest, 'digest', 'GET');
  return manifest;
}

const tagUnknown = (name: string, tag: string, headers?: Record<string, string>) =>
  registryError('MANIFEST_UNKNOWN', `manifest tagged by "${tag}" is not found`, { name, tag }, headers);

/** The tag and its manifest, after the gate (a held tag looks absent). */
export async function readableTag(services: Services, request: FastifyRequest, name: string, tag: string): Promise<{ tag: TagRecord; manifest: ManifestRecord }> {
  const record = await services.store.tags.get(name, tag);
  if (!record) {
    if (!(await services.store.repositories.get(name))) throw nameUnknown(name);
    throw tagUnknown(name, tag);
  }
  const manifest = await services.store.manifests.get(name, record.digest);
  if (!manifest) throw tagUnknown(name, tag);
  try {
    await services.gate.checkManifestRead(request.access, manifest, 'tag', 'GET');
  } catch (err) {
    if (err instanceof RegistryError && err.status === 404) throw tagUnknown(name, tag, err.headers);
    throw err;
  }
  return { tag: record, manifest };
}

/** Names of the tags pointing at `digest` (all of them: the manifest itself was already let through the gate). */
export async function tagsOf(services: Services, name: string, digest: Digest): Promise<string[]> {
  return (await services.store.tags.list(name, { digest })).map((t) => t.name);
}
