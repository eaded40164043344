/**
 * The BlobStore's own errors (contract: blob-store.ts). Drivers throw these, never HTTP errors:
 * the storage layer does not know which endpoint asked or what status a client expects. The
 * HTTP layer maps each kind to one registry error, once (src/errors/from-storage-error.ts).
 *
 * Kinds:
 * - `not-found`              an upload id that does not exist (or is no longer open)
 * - `already-exists`         `uploads.create` with an id in use
 * - `range-not-satisfiable`  an append whose offset is not the upload's end (`detail.offset`
 *                            is where the upload stands), or one raced by another append
 * - `digest-mismatch`        the bytes do not hash to the expected digest
 * - `size-mismatch`          the bytes are not the expected length
 * - `invalid-argument`       a malformed digest or upload id, refused before it becomes a key
 *                            (`detail.subject`: 'digest' | 'upload-id')
 * - `unavailable`            the backing store does not answer (timeouts, refused connections,
 *                            5xx after retries, bad credentials or a missing bucket at run time)
 */
export type StorageErrorKind =
  | 'not-found'
  | 'already-exists'
  | 'range-not-satisfiable'
  | 'digest-mismatch'
  | 'size-mismatch'
  | 'invalid-argument'
  | 'unavailable';

export interface StorageErrorDetail {
  /** range-not-satisfiable: the upload's current size. */
  offset?: number;
  /** invalid-argument: what was malformed. */
  subject?: 'digest' | 'upload-id';
}

export class StorageError extends Error {
  constructor(
    readonly kind: StorageErrorKind,
    message: string,
    readonly detail: StorageErrorDetail = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageError';
  }
}

export const storageErrors = {
  uploadNotFound: () => new StorageError('not-found', 'upload unknown'),
  uploadExists: () => new StorageError('already-exists', 'upload id already in use'),
  outOfOrder: (offset: number) => new StorageError('range-not-satisfiable', `the upload ends at ${offset}`, { offset }),
  digestMismatch: () => new StorageError('digest-mismatch', 'the bytes do not match the digest'),
  sizeMismatch: () => new StorageError('size-mismatch', 'the bytes do not match the expected size'),
  invalidDigest: () => new StorageError('invalid-argument', 'invalid or unsupported digest', { subject: 'digest' }),
  invalidUploadId: () => new StorageError('invalid-argument', 'invalid upload id', { subject: 'upload-id' }),
  unavailable: (message: string, cause?: unknown) => new StorageError('unavailable', message, {}, { cause }),
};

export const isStorageError = (err: unknown, kind?: StorageErrorKind): err is StorageError =>
  err instanceof StorageError && (kind === undefined || err.kind === kind);
