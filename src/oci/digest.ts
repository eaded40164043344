/**
 * Digests: `algorithm:hex`. Only sha256 and sha512 are accepted (OCI image spec registered
 * algorithms); the hex part is validated strictly because digests become file paths in the
 * blob store.
 */
import { createHash, type Hash } from 'node:crypto';

export type DigestAlgorithm = 'sha256' | 'sha512';
export type Digest = `${DigestAlgorithm}:${string}`;

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
const DIGEST_RE = /^(sha256|sha512):([a-f0-9]+)$/;

export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  hex: string;
}

/** Parses a digest string; returns undefined for anything malformed or unsupported. */
export function parseDigest(value: string): ParsedDigest | undefined {
  const m = DIGEST_RE.exec(value);
  if (!m) return undefined;
  const algorithm = m[1] as DigestAlgorithm;
  if (m[2]!.length !== HEX_LENGTH[algorithm]) return undefined;
  return { algorithm, hex: m[2]! };
}

export function isDigest(value: string): value is Digest {
  return parseDigest(value) !== undefined;
}

/** True when the string looks like a digest of any algorithm (`alg:encoded`), valid or not. */
export function looksLikeDigest(value: string): boolean {
  return /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(value);
}

export function createDigester(algorithm: DigestAlgorithm = 'sha256'): Hash {
  return createHash(algorithm);
}

export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}
