/**
 * The one mapping from BlobStore errors (src/storage/errors.ts) to registry errors. The error
 * handler applies it to anything a handler lets through; a handler that needs extra response
 * headers (an upload's Location and Range) catches the StorageError and adds them here too.
 */
import type { StorageError } from '../storage/errors.ts';
import { registryError, type RegistryError } from './registry-error.ts';

export function fromStorageError(err: StorageError, headers?: Record<string, string>): RegistryError {
  switch (err.kind) {
    case 'not-found':
      return registryError('BLOB_UPLOAD_UNKNOWN', undefined, undefined, headers);
    case 'already-exists':
      return registryError('BLOB_UPLOAD_INVALID', err.message, undefined, headers);
    case 'range-not-satisfiable':
      return registryError('BLOB_UPLOAD_OUT_OF_ORDER', undefined, { offset: err.detail.offset }, headers);
    case 'digest-mismatch':
      return registryError('DIGEST_INVALID', undefined, undefined, headers);
    case 'size-mismatch':
      return registryError('SIZE_INVALID', undefined, undefined, headers);
    case 'invalid-argument':
      return err.detail.subject === 'upload-id'
        ? registryError('BLOB_UPLOAD_UNKNOWN', undefined, undefined, headers)
        : registryError('DIGEST_INVALID', err.message, undefined, headers);
    case 'unavailable':
      // The cause (endpoint, SDK message) is logged by the handler, not sent to the client.
      return registryError('UNAVAILABLE', 'the blob store does not answer', undefined, { 'Retry-After': '5', ...headers });
  }
}
