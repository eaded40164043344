/**
 * Why a scan failed. Every failure of the image side is one of these codes with a message that
 * names the layer, path or limit involved; the server renders it as the Harbor error body
 * (`{"error":{"message":"CODE: ..."}}`) and the registry keeps the image held (fail closed).
 * docs/scanner.md lists the codes.
 */
export const SCAN_ERROR_CODES = {
  NO_DATABASE: 'no vulnerability database is loaded (run `lazaret scanner db import`)',
  REGISTRY_URL_INVALID: 'the registry URL is not an http(s) URL',
  REGISTRY_UNREACHABLE: 'the registry could not be reached',
  REGISTRY_UNAUTHORIZED: 'the registry refused the credential given in the scan request',
  REGISTRY_ERROR: 'the registry answered with an unexpected status',
  MANIFEST_INVALID: 'the manifest is not a valid image manifest',
  MANIFEST_UNSUPPORTED: 'the manifest is of a type the scanner does not consume',
  DIGEST_MISMATCH: 'content does not match its digest',
  LAYER_MALFORMED: 'a layer is not a valid (compressed) tar stream',
  LAYER_TOO_LARGE: 'a layer decompresses past the configured size or ratio (compression bomb?)',
  PATH_INVALID: 'a layer entry has an absolute path or a path that leaves the root',
  FILE_TOO_LARGE: 'a package database file is larger than the configured limit',
  INVENTORY_TOO_LARGE: 'the image holds more package records than the configured limits',
  SYMLINK_LOOP: 'a symbolic link the inventory needs does not resolve (loop or too many hops)',
  INTERNAL: 'the scanner failed unexpectedly',
} as const;

export type ScanErrorCode = keyof typeof SCAN_ERROR_CODES;

export class ScanError extends Error {
  constructor(
    readonly code: ScanErrorCode,
    detail?: string,
  ) {
    super(`${code}: ${detail ?? SCAN_ERROR_CODES[code]}`);
    this.name = 'ScanError';
  }
}

/** Any thrown value as a ScanError (unexpected ones become INTERNAL with their message). */
export function asScanError(err: unknown): ScanError {
  if (err instanceof ScanError) return err;
  return new ScanError('INTERNAL', err instanceof Error ? err.message : String(err));
}
