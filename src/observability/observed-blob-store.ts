/**
 * A BlobStore decorator that passes every call through an `Around` (latency metrics, spans).
 * It wraps the contract, not a driver, so every driver (filesystem, S3, memory) is observed
 * the same way. `open` is timed until the stream is handed over, not until it is drained (the
 * transfer belongs to the HTTP request's own metrics).
 */
import type { BlobStore } from '../storage/blob-store.ts';
import type { Digest } from '../oci/index.ts';
import type { Around } from './around.ts';

export function observeBlobStore(store: BlobStore, around: Around): BlobStore {
  const u = store.uploads;
  const openVersioned = store.openVersioned?.bind(store);
  return {
    stat: (digest) => around('stat', () => store.stat(digest)),
    open: (digest, range) => around('open', () => store.open(digest, range)),
    // Timed as `open`: it is the same GetObject, with the version read from its answer.
    ...(openVersioned ? { openVersioned: (digest: Digest) => around('open', () => openVersioned(digest)) } : {}),
    put: (expected, data, expectedSize) => around('put', () => store.put(expected, data, expectedSize)),
    delete: (digest) => around('delete', () => store.delete(digest)),
    probe: () => around('probe', () => store.probe()),
    // A walk of the whole store (garbage collection): one long iteration, not one call to time.
    list: () => store.list(),
    // The S3 driver's presigned URLs (storage.s3.redirect) pass through unobserved: no I/O.
    ...('presignedUrl' in store ? { presignedUrl: (store as BlobStore & { presignedUrl: unknown }).presignedUrl } : {}),
    uploads: {
      create: (id) => around('upload_create', () => u.create(id)),
      append: (id, offset, data) => around('upload_append', () => u.append(id, offset, data)),
      size: (id) => around('upload_size', () => u.size(id)),
      commit: (id, expected) => around('upload_commit', () => u.commit(id, expected)),
      abort: (id) => around('upload_abort', () => u.abort(id)),
      listStale: (before) => around('upload_list_stale', () => u.listStale(before)),
    },
  };
}
