/**
 * Repository names, tags and references, per the OCI distribution spec grammar.
 * Names become metadata keys and (never directly) parts of URLs; they are validated at the
 * edge so nothing unchecked reaches storage.
 */
import { isDigest, type Digest } from './digest.ts';

/** `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*` */
const NAME_RE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** Distribution's limit: the whole name, including slashes. */
export const MAX_NAME_LENGTH = 255;

export function isValidRepositoryName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_NAME_LENGTH && NAME_RE.test(name);
}

export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

export type Reference = { kind: 'tag'; tag: string } | { kind: 'digest'; digest: Digest };

/** A manifest reference: a digest if it has a colon, else a tag. Undefined when invalid. */
export function parseReference(ref: string): Reference | undefined {
  if (ref.includes(':')) return isDigest(ref) ? { kind: 'digest', digest: ref } : undefined;
  return isValidTag(ref) ? { kind: 'tag', tag: ref } : undefined;
}
