/**
 * Validation of what a /v2 request names: repository names, digests, tags and references.
 * Everything from the URL goes through here before it reaches a store (names and digests end
 * up as metadata keys and, for digests, as blob file paths).
 */
import type { FastifyRequest } from 'fastify';
import { registryError } from '../errors/index.ts';
import { isDigest, looksLikeDigest, parseDigest, type Digest } from '../oci/index.ts';
import { isValidRepositoryName, isValidTag } from '../oci/index.ts';

export type Params = Record<string, string | undefined>;
export type Query = Record<string, string | string[] | undefined>;

/** The route's `name` param (already percent-decoded by the router), validated. */
export function repositoryName(request: FastifyRequest): string {
  const name = (request.params as Params).name ?? '';
  if (!isValidRepositoryName(name)) throw registryError('NAME_INVALID', `invalid repository name: ${JSON.stringify(name.slice(0, 300))}`, { name: name.slice(0, 300) });
  return name;
}

/** A digest from a path or query; DIGEST_INVALID when malformed or of an unsupported algorithm. */
export function requireDigest(value: string | undefined, what = 'digest'): Digest {
  if (!value || !isDigest(value)) {
    throw registryError('DIGEST_INVALID', `${what} is missing, malformed or uses an unsupported algorithm (sha256 and sha512 are supported)`, { digest: value ?? null });
  }
  return value;
}

export function digestOrUndefined(value: string | undefined): Digest | undefined {
  return value && parseDigest(value) ? (value as Digest) : undefined;
}

export type ParsedReference = { kind: 'tag'; tag: string } | { kind: 'digest'; digest: Digest };

/**
 * A manifest reference. Anything with a colon is a digest, anything else a tag.
 * Decision, by method (the one rule for every manifest route):
 * - GET and HEAD of a malformed reference answer 404 MANIFEST_UNKNOWN: no manifest can exist
 *   under it, which is what a read asks (the OCI conformance suite, Distribution and zot agree);
 * - PUT and DELETE answer 400 DIGEST_INVALID / TAG_INVALID, since the client asked to create
 *   or remove something that can never be named so, and deserves to know why.
 */
export function manifestReference(request: FastifyRequest): ParsedReference {
  const ref = (request.params as Params).reference ?? '';
  const reading = request.method === 'GET' || request.method === 'HEAD';
  const shown = JSON.stringify(ref.slice(0, 200));
  if (ref.includes(':') || looksLikeDigest(ref)) {
    if (reading && !isDigest(ref)) throw registryError('MANIFEST_UNKNOWN', `no manifest can exist under the reference ${shown}: it is not a valid digest`, { digest: ref.slice(0, 200) });
    return { kind: 'digest', digest: requireDigest(ref, 'reference') };
  }
  if (!isValidTag(ref)) {
    if (reading) throw registryError('MANIFEST_UNKNOWN', `no manifest can exist under the reference ${shown}: it is not a valid tag`, { tag: ref.slice(0, 200) });
    throw registryError('TAG_INVALID', `invalid tag: ${shown}`, { tag: ref.slice(0, 200) });
  }
  return { kind: 'tag', tag: ref };
}

/** A single query value (the first when repeated). */
export function queryValue(request: FastifyRequest, key: string): string | undefined {
  const v = (request.query as Query)[key];
  return Array.isArray(v) ? v[0] : v;
}

/** All values of a repeated query parameter. */
export function queryValues(request: FastifyRequest, key: string): string[] {
  const v = (request.query as Query)[key];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** Path-absolute URLs for Location headers: never absolute (the Azure SDK needs paths). */
export const locations = {
  blob: (name: string, digest: string) => `/v2/${name}/blobs/${digest}`,
  upload: (name: string, id: string) => `/v2/${name}/blobs/uploads/${id}`,
  manifest: (name: string, digest: string) => `/v2/${name}/manifests/${digest}`,
};
