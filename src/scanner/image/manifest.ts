/**
 * The image manifests the scanner consumes (OCI image manifest, Docker v2 schema 2), parsed
 * strictly: anything else is a clear MANIFEST_INVALID / MANIFEST_UNSUPPORTED error, never a
 * guess. Image indexes are refused: the caller scans their child manifests (Harbor's rule).
 */
import { ScanError } from '../scan-error.ts';

export const MANIFEST_MEDIA_TYPES = {
  oci: 'application/vnd.oci.image.manifest.v1+json',
  docker: 'application/vnd.docker.distribution.manifest.v2+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

export const CONSUMED_MANIFEST_TYPES = [MANIFEST_MEDIA_TYPES.oci, MANIFEST_MEDIA_TYPES.docker];

export type LayerCompression = 'gzip' | 'zstd' | 'none';

export interface LayerDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  compression: LayerCompression;
}

export interface ImageManifest {
  mediaType: string;
  config: { mediaType: string; digest: string; size: number };
  layers: LayerDescriptor[];
}

const DIGEST = /^sha256:[a-f0-9]{64}$|^sha512:[a-f0-9]{128}$/;

/** Layer media types and how they are compressed; foreign/non-distributable variants included. */
export function layerCompression(mediaType: string): LayerCompression | undefined {
  if (/^application\/vnd\.oci\.image\.layer(\.nondistributable)?\.v1\.tar(\+gzip|\+zstd)?$/.test(mediaType)) {
    return mediaType.endsWith('+gzip') ? 'gzip' : mediaType.endsWith('+zstd') ? 'zstd' : 'none';
  }
  if (/^application\/vnd\.docker\.image\.rootfs\.(foreign\.)?diff\.tar\.gzip$/.test(mediaType)) return 'gzip';
  if (mediaType === 'application/vnd.docker.image.rootfs.diff.tar.zstd') return 'zstd';
  return undefined;
}

function descriptorOf(value: unknown, where: string): { mediaType: string; digest: string; size: number } {
  const d = value as Record<string, unknown> | null;
  if (!d || typeof d !== 'object') throw new ScanError('MANIFEST_INVALID', `${where} is not a descriptor`);
  if (typeof d.mediaType !== 'string' || d.mediaType === '') throw new ScanError('MANIFEST_INVALID', `${where} has no mediaType`);
  if (typeof d.digest !== 'string' || !DIGEST.test(d.digest)) throw new ScanError('MANIFEST_INVALID', `${where} has an invalid digest`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw new ScanError('MANIFEST_INVALID', `${where} has an invalid size`);
  return { mediaType: d.mediaType, digest: d.digest, size: d.size };
}

/** Parses manifest bytes served with `contentType` (the body's own mediaType wins when present). */
export function parseImageManifest(bytes: Buffer, contentType: string | undefined, maxLayers: number): ImageManifest {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ScanError('MANIFEST_INVALID', 'the manifest is not JSON');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new ScanError('MANIFEST_INVALID', 'the manifest is not a JSON object');
  const mediaType = typeof doc.mediaType === 'string' ? doc.mediaType : (contentType ?? '').split(';')[0].trim();
  if (mediaType === MANIFEST_MEDIA_TYPES.ociIndex || mediaType === MANIFEST_MEDIA_TYPES.dockerList || Array.isArray(doc.manifests)) {
    throw new ScanError('MANIFEST_UNSUPPORTED', 'an image index: submit each child image manifest for scanning');
  }
  if (mediaType !== MANIFEST_MEDIA_TYPES.oci && mediaType !== MANIFEST_MEDIA_TYPES.docker) {
    throw new ScanError('MANIFEST_UNSUPPORTED', `media type ${JSON.stringify(mediaType)} is not an image manifest`);
  }
  if (doc.schemaVersion !== 2) throw new ScanError('MANIFEST_INVALID', 'schemaVersion is not 2');
  const config = descriptorOf(doc.config, 'config');
  if (!Array.isArray(doc.layers)) throw new ScanError('MANIFEST_INVALID', 'layers is not an array');
  if (doc.layers.length > maxLayers) throw new ScanError('MANIFEST_INVALID', `more than ${maxLayers} layers`);
  const layers = doc.layers.map((l, i) => {
    const d = descriptorOf(l, `layers[${i}]`);
    const compression = layerCompression(d.mediaType);
    if (!compression) throw new ScanError('MANIFEST_UNSUPPORTED', `layers[${i}] has media type ${JSON.stringify(d.mediaType)}, not a tar layer`);
    return { ...d, compression };
  });
  return { mediaType, config, layers };
}
