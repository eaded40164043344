/**
 * ManifestStore on SQL (contract: ../metadata-store.ts).
 *
 * A manifest is one `manifests` row plus its ordered `manifest_blobs` and `manifest_children`
 * rows. Reads load the reference rows of a whole page with one query each (no N+1).
 *
 * Decision: `timeasc`/`timedesc` order by updatedAt (ACR's lastUpdateTime, what its SDK's
 * LastUpdatedOn ordering means), ties broken by digest; `last` is always the digest of the
 * previous page's last record. When that manifest is gone (deleted between pages) a time-ordered
 * page is empty: its position cannot be known.
 */
import type { Digest } from '../../oci/index.ts';
import type { ManifestHead, ManifestInput, ManifestRecord, ManifestStore } from '../metadata-store.ts';
import type { ManifestsTable } from '../tables/index.ts';
import { atomically, attributeColumns, attributesOf, ensureRepository, pageSize, precompiled, type Db } from './common.ts';

type Row = ManifestsTable;

/**
 * Rows per INSERT. A 4 MiB manifest can list ~25,000 layers; one statement for all of them
 * would pass SQLite's 32,766 and PostgreSQL's 65,535 bound-parameter limits.
 */
const INSERT_BATCH = 1000;
function* batches<T>(rows: T[]): Generator<T[]> {
  for (let i = 0; i < rows.length; i += INSERT_BATCH) yield rows.slice(i, i + INSERT_BATCH);
}

/** Loads the blob and child references of `rows` (one repository) and builds records. */
async function toRecords(db: Db, repository: string, rows: Row[]): Promise<ManifestRecord[]> {
  if (rows.length === 0) return [];
  const blobs: { manifest: string; blob: string }[] = [];
  const children: { manifest: string; child: string; architecture: string | null; os: string | null }[] = [];
  // Pages are at most 1000 rows; referrers of one subject are not bounded, so batch the IN lists.
  for (const batch of batches(rows.map((r) => r.digest))) {
    const [b, c] = await Promise.all([
      db
        .selectFrom('manifest_blobs')
        .select(['manifest', 'blob'])
        .where('repository', '=', repository)
        .where('manifest', 'in', batch)
        .orderBy('manifest')
        .orderBy('position')
        .execute(),
      db
        .selectFrom('manifest_children')
        .select(['manifest', 'child', 'architecture', 'os'])
        .where('repository', '=', repository)
        .where('manifest', 'in', batch)
        .orderBy('manifest')
        .orderBy('position')
        .execute(),
    ]);
    for (const row of b) blobs.push(row); // not push(...b): a page can hold 100,000s of references
    for (const row of c) children.push(row);
  }
  const blobsOf = new Map<string, Digest[]>();
  for (const b of blobs) {
    let list = blobsOf.get(b.manifest);
    if (!list) blobsOf.set(b.manifest, (list = []));
    list.push(b.blob as Digest);
  }
  const childrenOf = new Map<string, ManifestRecord['children']>();
  for (const c of children) {
    let list = childrenOf.get(c.manifest);
    if (!list) childrenOf.set(c.manifest, (list = []));
    list.push({
      digest: c.child as Digest,
      ...(c.architecture !== null ? { architecture: c.architecture } : {}),
      ...(c.os !== null ? { os: c.os } : {}),
    });
  }
  return rows.map((row) => recordOf(row, blobsOf.get(row.digest) ?? [], childrenOf.get(row.digest) ?? []));
}

function recordOf(row: Row, blobs: Digest[], children: ManifestRecord['children']): ManifestRecord {
  const record: ManifestRecord = {
    repository: row.repository,
    digest: row.digest as Digest,
    mediaType: row.media_type,
    size: row.size,
    imageSize: row.image_size,
    blobs,
    children,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    ...attributesOf(row),
  };
  if (row.artifact_type !== null) record.artifactType = row.artifact_type;
  if (row.subject !== null) record.subject = row.subject as Digest;
  if (row.config_digest !== null) record.configDigest = row.config_digest as Digest;
  if (row.config_media_type !== null) record.configMediaType = row.config_media_type;
  if (row.architecture !== null) record.architecture = row.architecture;
  if (row.os !== null) record.os = row.os;
  if (row.annotations !== null) record.annotations = JSON.parse(row.annotations);
  return record;
}

/** The record without its reference lists (ManifestStore.getHead). */
function headOf(row: Row): ManifestHead {
  const { blobs: _b, children: _c, ...head } = recordOf(row, [], []);
  return head;
}

function rowOf(repository: string, m: ManifestInput, now: number): Row {
  return {
    repository,
    digest: m.digest,
    media_type: m.mediaType,
    size: m.size,
    artifact_type: m.artifactType ?? null,
    subject: m.subject ?? null,
    config_digest: m.configDigest ?? null,
    config_media_type: m.configMediaType ?? null,
    architecture: m.architecture ?? null,
    os: m.os ?? null,
    image_size: m.imageSize,
    annotations: m.annotations && Object.keys(m.annotations).length > 0 ? JSON.stringify(m.annotations) : null,
    delete_enabled: 1,
    write_enabled: 1,
    read_enabled: 1,
    list_enabled: 1,
    created_at: now,
    updated_at: now,
  };
}

// The per-pull lookups, compiled once (common.ts, precompiled).
const selectManifest = precompiled((d) => d.selectFrom('manifests').selectAll().where('repository', '=', '?').where('digest', '=', '?'));
const selectBlobRefs = precompiled((d) =>
  d.selectFrom('manifest_blobs').select('blob').where('repository', '=', '?').where('manifest', '=', '?').orderBy('position'),
);
const selectChildRefs = precompiled((d) =>
  d.selectFrom('manifest_children').select(['child', 'architecture', 'os']).where('repository', '=', '?').where('manifest', '=', '?').orderBy('position'),
);
const selectReferencing = precompiled((d) =>
  d.selectFrom('manifest_blobs').select('manifest').distinct().where('repository', '=', '?').where('blob', '=', '?').orderBy('manifest'),
);
const selectParents = precompiled((d) =>
  d.selectFrom('manifest_children').select('manifest').distinct().where('repository', '=', '?').where('child', '=', '?').orderBy('manifest'),
);

export function createManifestStore(db: Db): ManifestStore {
  const getRow = async (d: Db, repository: string, digest: string) => (await selectManifest(d, repository, digest))[0];

  const get = async (repository: string, digest: Digest) => {
    const row = await getRow(db, repository, digest);
    if (!row) return undefined;
    const [blobs, children] = await Promise.all([selectBlobRefs(db, repository, digest), selectChildRefs(db, repository, digest)]);
    return recordOf(
      row,
      blobs.map((b) => b.blob as Digest),
      children.map((c) => ({
        digest: c.child as Digest,
        ...(c.architecture !== null ? { architecture: c.architecture } : {}),
        ...(c.os !== null ? { os: c.os } : {}),
      })),
    );
  };

  const distinctDigests = async (rows: Promise<{ manifest: string }[]>) => [...new Set((await rows).map((r) => r.manifest as Digest))];

  return {
    get,

    async getHead(repository, digest) {
      const row = await getRow(db, repository, digest);
      return row ? headOf(row) : undefined;
    },

    async getHeads(repository, digests) {
      const out = new Map<Digest, ManifestHead>();
      const unique = [...new Set(digests)];
      for (const batch of batches(unique)) {
        for (const row of await db.selectFrom('manifests').selectAll().where('repository', '=', repository).where('digest', 'in', batch).execute()) out.set(row.digest as Digest, headOf(row));
      }
      return out;
    },

    async put(repository, manifest) {
      const now = Date.now();
      const row = rowOf(repository, manifest, now);
      const created = await atomically(db, async (tx) => {
        await ensureRepository(tx, repository, now);
        // ON CONFLICT DO NOTHING makes concurrent pushes of one digest safe on PostgreSQL:
        // exactly one inserts (and writes the references), the others refresh updatedAt.
        const inserted = await tx
          .insertInto('manifests')
          .values(row)
          .onConflict((oc) => oc.columns(['repository', 'digest']).doNothing())
          .executeTakeFirst();
        const isNew = Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0;
        if (isNew) {
          const blobRows = manifest.blobs.map((blob, position) => ({ repository, manifest: manifest.digest, position, blob }));
          for (const batch of batches(blobRows)) await tx.insertInto('manifest_blobs').values(batch).execute();
          const childRows = manifest.children.map((c, position) => ({
            repository,
            manifest: manifest.digest,
            position,
            child: c.digest,
            architecture: c.architecture ?? null,
            os: c.os ?? null,
          }));
          for (const batch of batches(childRows)) await tx.insertInto('manifest_children').values(batch).execute();
        } else {
          await tx.updateTable('manifests').set({ updated_at: now }).where('repository', '=', repository).where('digest', '=', manifest.digest).execute();
        }
        await tx.updateTable('repositories').set({ updated_at: now }).where('name', '=', repository).execute();
        return isNew;
      });
      // A new record is exactly what was written (pushes are the hot path: no read-back); a
      // re-push reads the stored one for its createdAt and attributes.
      const children = manifest.children.map((c) => ({
        digest: c.digest,
        ...(c.architecture != null ? { architecture: c.architecture } : {}),
        ...(c.os != null ? { os: c.os } : {}),
      }));
      const record = created ? recordOf(row, [...manifest.blobs], children) : await get(repository, manifest.digest);
      return { created, record: record! };
    },

    async list(repository, options = {}) {
      const n = pageSize(options);
      if (n === 0) return [];
      const order = options.orderBy ?? 'none';
      let q = db.selectFrom('manifests').selectAll().where('repository', '=', repository).limit(n);
      if (order === 'none') {
        q = q.orderBy('digest');
        if (options.last !== undefined) q = q.where('digest', '>', options.last);
      } else {
        const dir = order === 'timeasc' ? 'asc' : 'desc';
        const cmp = order === 'timeasc' ? '>' : '<';
        q = q.orderBy('updated_at', dir).orderBy('digest', dir);
        if (options.last !== undefined) {
          const cursor = await getRow(db, repository, options.last);
          if (!cursor) return [];
          // A row-value comparison, not (a < x OR (a = x AND b < y)): both dialects turn it
          // into an index range, so a deep page does not walk the pages before it.
          q = q.where((eb) => eb(eb.refTuple('updated_at', 'digest'), cmp, eb.tuple(cursor.updated_at, cursor.digest)));
        }
      }
      return toRecords(db, repository, await q.execute());
    },

    async delete(repository, digest) {
      return atomically(db, async (tx) => {
        const row = await tx.selectFrom('manifests').select('digest').where('repository', '=', repository).where('digest', '=', digest).executeTakeFirst();
        if (!row) return undefined;
        const tags = await tx.selectFrom('tags').select('name').where('repository', '=', repository).where('digest', '=', digest).orderBy('name').execute();
        await tx.deleteFrom('tags').where('repository', '=', repository).where('digest', '=', digest).execute();
        await tx.deleteFrom('manifest_blobs').where('repository', '=', repository).where('manifest', '=', digest).execute();
        await tx.deleteFrom('manifest_children').where('repository', '=', repository).where('manifest', '=', digest).execute();
        await tx.deleteFrom('manifests').where('repository', '=', repository).where('digest', '=', digest).execute();
        return { tags: tags.map((t) => t.name) };
      });
    },

    async updateAttributes(repository, digest, patch) {
      const columns = attributeColumns(patch);
      if (Object.keys(columns).length > 0) {
        await db.updateTable('manifests').set({ ...columns, updated_at: Date.now() }).where('repository', '=', repository).where('digest', '=', digest).execute();
      }
      return get(repository, digest);
    },

    async referrers(repository, subject, artifactType) {
      let q = db.selectFrom('manifests').selectAll().where('repository', '=', repository).where('subject', '=', subject).orderBy('digest');
      if (artifactType !== undefined) q = q.where('artifact_type', '=', artifactType);
      return toRecords(db, repository, await q.execute());
    },

    async referrersOfMany(repository, subjects) {
      const out = new Map<Digest, ManifestRecord[]>();
      const unique = [...new Set(subjects)];
      for (const batch of batches(unique)) {
        const rows = await db.selectFrom('manifests').selectAll().where('repository', '=', repository).where('subject', 'in', batch).orderBy('subject').orderBy('digest').execute();
        for (const record of await toRecords(db, repository, rows)) {
          const subject = record.subject as Digest;
          const list = out.get(subject);
          if (list) list.push(record);
          else out.set(subject, [record]);
        }
      }
      return out;
    },

    referencingBlob(repository, blob) {
      return distinctDigests(selectReferencing(db, repository, blob));
    },

    parentsOf(repository, child) {
      return distinctDigests(selectParents(db, repository, child));
    },
  };
}
