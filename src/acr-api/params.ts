/** Path parameters of /acr/v1 (what the registry service is asked about is validated here). */
import type { FastifyRequest } from 'fastify';
import type { Digest } from '../oci/index.ts';
import { isDigest } from '../oci/index.ts';
import { isValidTag } from '../oci/index.ts';
import { registryError } from '../errors/index.ts';
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
