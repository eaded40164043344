/**
 * Bounds on what one scan may read and keep, so memory stays bounded whatever the image: the
 * layer walk keeps only package records, each under maxFileBytes, all under maxKeptBytes, and a
 * layer that decompresses past maxLayerBytes or maxCompressionRatio stops the scan.
 */
export interface ScanLimits {
  /** Uncompressed bytes of one layer. */
  maxLayerBytes: number;
  /** Uncompressed / compressed bytes of one layer, checked once past ratioGraceBytes. */
  maxCompressionRatio: number;
  /** Uncompressed bytes a layer may reach before the ratio is enforced (small layers of empty files compress very well). */
  ratioGraceBytes: number;
  /** One package database file (dpkg status, apk installed, a package-lock.json). */
  maxFileBytes: number;
  /** All kept files and links of one image together. */
  maxKeptBytes: number;
  /** Kept entries (records, symlinks) of one image. */
  maxKeptEntries: number;
  /** Manifest and image config documents. */
  maxManifestBytes: number;
  maxLayers: number;
}

export const DEFAULT_SCAN_LIMITS: ScanLimits = {
  maxLayerBytes: 16 * 1024 ** 3,
  maxCompressionRatio: 100,
  ratioGraceBytes: 64 * 1024 ** 2,
  maxFileBytes: 32 * 1024 ** 2,
  maxKeptBytes: 64 * 1024 ** 2,
  maxKeptEntries: 200_000,
  maxManifestBytes: 4 * 1024 ** 2,
  maxLayers: 512,
};
