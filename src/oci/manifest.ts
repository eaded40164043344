/**
 * Manifest parsing and validation: pure, no I/O.
 *
 * `parseManifest(bytes, contentType)` decides the manifest's media type, validates its shape
 * and returns what the registry needs to know about it: the blobs it references (config and
 * layers), its child manifests (indexes), its `subject` and `artifactType` (referrers) and its
 * annotations. Every problem is a RegistryError MANIFEST_INVALID whose message names the field.
 *
 * Media type rules (OCI distribution spec "Pushing Manifests"):
 * - A Content-Type that is a known manifest type wins; a body `mediaType` that differs from it is
 *   MANIFEST_INVALID (clients MUST send the body's mediaType as Content-Type).
 * - A missing or generic Content-Type (`application/json`, `application/octet-stream`) falls back
 *   to the body's `mediaType`, and without one to the shape (`manifests` = OCI index, `config`
 *   = OCI image manifest), since OCI makes `mediaType` optional.
 * - Any other Content-Type (Docker schema 1, `text/plain`, ...) is MANIFEST_INVALID.
 * Parameters on Content-Type (`; charset=utf-8`) are ignored, as the spec tells registries to.
 */
import { registryError } from '../errors/index.ts';
import { parseDigest, type Digest } from './digest.ts';
import { INDEX_MEDIA_TYPES, MANIFEST_MEDIA_TYPES, MEDIA_TYPES } from './media-types.ts';

export interface Platform {
  architecture?: string;
  os?: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  urls?: string[];
  platform?: Platform;
}

export interface ParsedManifest {
  /** The effective media type (see the rules above). */
  mediaType: string;
  kind: 'image' | 'index';
  artifactType?: string;
  /** Image manifests only. */
  config?: Descriptor;
  /** Image manifests only (empty for indexes). */
  layers: Descriptor[];
  /** Index manifests only (empty for image manifests). */
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** Layer media types whose bytes are, by design, not pushed to the registry. */
const FOREIGN_LAYER_TYPES: ReadonlySet<string> = new Set([
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
]);
const GENERIC_CONTENT_TYPES: ReadonlySet<string> = new Set(['', 'application/json', 'application/octet-stream']);

const invalid = (message: string, detail?: unknown) => registryError('MANIFEST_INVALID', message, detail);

/** `application/x; charset=utf-8` -> `application/x`. */
export function baseMediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function optionalString(obj: Record<string, unknown>, key: string, where: string): string | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalid(`${where}${key} must be a string`);
  return v;
}

function annotationsOf(obj: Record<string, unknown>, where: string): Record<string, string> | undefined {
  const v = obj.annotations;
  if (v === undefined || v === null) return undefined;
  if (!isObject(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    throw invalid(`${where}annotations must be an object of strings`);
  }
  return v as Record<string, string>;
}

function descriptor(value: unknown, where: string): Descriptor {
  if (!isObject(value)) throw invalid(`${where} must be a descriptor object`);
  const mediaType = value.mediaType;
  if (typeof mediaType !== 'string' || mediaType === '') throw invalid(`${where}.mediaType is required`);
  const digest = value.digest;
  if (typeof digest !== 'string' || !parseDigest(digest)) {
    throw invalid(`${where}.digest is missing, malformed or uses an unsupported algorithm`, { digest });
  }
  const size = value.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw invalid(`${where}.size must be a non-negative integer`);
  }
  const d: Descriptor = { mediaType, digest: digest as Digest, size };
  const artifactType = optionalString(value, 'artifactType', `${where}.`);
  if (artifactType !== undefined) d.artifactType = artifactType;
  const annotations = annotationsOf(value, `${where}.`);
  if (annotations) d.annotations = annotations;
  if (value.urls !== undefined) {
    if (!Array.isArray(value.urls) || value.urls.some((u) => typeof u !== 'string')) throw invalid(`${where}.urls must be an array of strings`);
    d.urls = value.urls as string[];
  }
  if (value.platform !== undefined) {
    if (!isObject(value.platform)) throw invalid(`${where}.platform must be an object`);
    const p = value.platform;
    d.platform = {};
    for (const key of ['architecture', 'os', 'variant'] as const) {
      const s = optionalString(p, key, `${where}.platform.`);
      if (s !== undefined) d.platform[key] = s;
    }
  }
  return d;
}

function resolveMediaType(header: string, body: Record<string, unknown>): string {
  const declared = optionalString(body, 'mediaType', '');
  if (MANIFEST_MEDIA_TYPES.has(header)) {
    if (declared !== undefined && declared !== header) {
      throw invalid(`Content-Type ${header} does not match the manifest's mediaType ${declared}`);
    }
    return header;
  }
  if (!GENERIC_CONTENT_TYPES.has(header)) throw invalid(`unsupported manifest media type: ${header}`);
  if (declared !== undefined) {
    if (!MANIFEST_MEDIA_TYPES.has(declared)) throw invalid(`unsupported manifest media type: ${declared}`);
    return declared;
  }
  if (Array.isArray(body.manifests)) return MEDIA_TYPES.ociIndex;
  if (body.config !== undefined) return MEDIA_TYPES.ociManifest;
  throw invalid('cannot tell the manifest type: no mediaType, config or manifests');
}

/** Parses and validates manifest bytes. Throws MANIFEST_INVALID. */
export function parseManifest(bytes: Uint8Array, contentType?: string): ParsedManifest {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (err) {
    throw invalid(`manifest is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(body)) throw invalid('manifest must be a JSON object');
  if (body.schemaVersion !== 2) throw invalid('schemaVersion must be 2');
  const mediaType = resolveMediaType(baseMediaType(contentType), body);
  const kind = INDEX_MEDIA_TYPES.has(mediaType) ? 'index' : 'image';
  const parsed: ParsedManifest = { mediaType, kind, layers: [], manifests: [] };

  if (kind === 'index') {
    if (!Array.isArray(body.manifests)) throw invalid('manifests must be an array');
    parsed.manifests = body.manifests.map((m, i) => descriptor(m, `manifests[${i}]`));
  } else {
    parsed.config = descriptor(body.config, 'config');
    if (body.layers === undefined && mediaType === MEDIA_TYPES.dockerManifest) throw invalid('layers must be an array');
    if (body.layers !== undefined && !Array.isArray(body.layers)) throw invalid('layers must be an array');
    // OCI requires `layers`; an artifact manifest may list none (the spec's "MAY be empty").
    if (body.layers === undefined && mediaType === MEDIA_TYPES.ociManifest) throw invalid('layers must be an array');
    parsed.layers = ((body.layers as unknown[]) ?? []).map((l, i) => descriptor(l, `layers[${i}]`));
  }
  const artifactType = optionalString(body, 'artifactType', '');
  if (artifactType !== undefined) parsed.artifactType = artifactType;
  if (body.subject !== undefined && body.subject !== null) parsed.subject = descriptor(body.subject, 'subject');
  const annotations = annotationsOf(body, '');
  if (annotations) parsed.annotations = annotations;
  return parsed;
}

/**
 * Blobs that must be in the repository before the manifest is accepted: the config and every
 * layer except foreign / non-distributable ones (and any layer with `urls`), whose bytes live
 * elsewhere by design. `subject` is never required: a referrer may be pushed before its subject.
 */
export function requiredBlobs(m: ParsedManifest): Digest[] {
  const out: Digest[] = [];
  if (m.config) out.push(m.config.digest);
  for (const l of m.layers) {
    if (FOREIGN_LAYER_TYPES.has(l.mediaType) || (l.urls && l.urls.length > 0)) continue;
    out.push(l.digest);
  }
  return [...new Set(out)];
}

/** Every blob the manifest names (config and all layers), for the blob links of the record. */
export function referencedBlobs(m: ParsedManifest): Digest[] {
  return [...new Set([...(m.config ? [m.config.digest] : []), ...m.layers.map((l) => l.digest)])];
}

/**
 * The artifactType a referrers response shows for this manifest: its own `artifactType`, else
 * (image manifests only) the config's media type; indexes without one show none.
 */
export function effectiveArtifactType(m: { mediaType: string; artifactType?: string; configMediaType?: string }): string | undefined {
  if (m.artifactType) return m.artifactType;
  if (INDEX_MEDIA_TYPES.has(m.mediaType)) return undefined;
  return m.configMediaType;
}

/** Config media types that are image configs (read for architecture/os). */
export const IMAGE_CONFIG_MEDIA_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.ociConfig, MEDIA_TYPES.dockerConfig]);

/** Largest image config the registry reads for architecture/os; bigger ones are not read. */
export const MAX_IMAGE_CONFIG_BYTES = 1024 * 1024;

/**
 * architecture/os of an image config. Never throws: a config that is not JSON or lacks the
 * fields gives `{}` (the registry stores the image anyway; the fields are informative).
 */
export function readImagePlatform(bytes: Uint8Array): { architecture?: string; os?: string } {
  try {
    const c: unknown = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    if (!isObject(c)) return {};
    const out: { architecture?: string; os?: string } = {};
    if (typeof c.architecture === 'string') out.architecture = c.architecture;
    if (typeof c.os === 'string') out.os = c.os;
    return out;
  } catch {
    return {};
  }
}
