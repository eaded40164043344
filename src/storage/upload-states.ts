/**
 * UploadStateStore: where a BlobStore driver keeps the state of an open upload that every node
 * must see (the S3 driver: multipart upload id, parts with their ETags, the tail object, the
 * resumable SHA-256 state). The state is opaque text to the store; the driver owns its shape.
 *
 * Concurrency: `replace` is compare-and-set on `version` (bumped by every successful replace),
 * so two nodes that read the same version cannot both win. Implementations: SQL (on the
 * metadata store's database, src/storage/store/upload-states-sql.ts) and in-memory (tests).
 */
export interface UploadStateRecord {
  state: string;
  version: number;
  updatedAt: number;
}

export interface UploadStateStore {
  /** False when the id exists already (nothing is changed then). */
  create(id: string, state: string): Promise<boolean>;
  get(id: string): Promise<UploadStateRecord | undefined>;
  /** Replaces the state when its version is still `version`; false when another writer won. */
  replace(id: string, version: number, state: string): Promise<boolean>;
  delete(id: string): Promise<void>;
  /** Ids whose state was last replaced (or created) before `before`, oldest first. */
  listStale(before: Date): Promise<string[]>;
}

export function createMemoryUploadStates(): UploadStateStore {
  const rows = new Map<string, UploadStateRecord>();
  return {
    async create(id, state) {
      if (rows.has(id)) return false;
      rows.set(id, { state, version: 1, updatedAt: Date.now() });
      return true;
    },
    async get(id) {
      const r = rows.get(id);
      return r && { ...r };
    },
    async replace(id, version, state) {
      const r = rows.get(id);
      if (!r || r.version !== version) return false;
      rows.set(id, { state, version: version + 1, updatedAt: Date.now() });
      return true;
    },
    async delete(id) {
      rows.delete(id);
    },
    async listStale(before) {
      return [...rows].filter(([, r]) => r.updatedAt < before.getTime()).sort((a, b) => a[1].updatedAt - b[1].updatedAt).map(([id]) => id);
    },
  };
}
