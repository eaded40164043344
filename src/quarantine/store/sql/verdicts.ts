/** The verdict role object (contract: src/quarantine/verdicts.ts) on Kysely, for both dialects. */
import { sql, type Kysely } from 'kysely';
import type { Digest } from '../../../oci/index.ts';
import type { QuarantineDatabase as Database } from '../tables.ts';
import { atomically, MAX_PAGE } from '../../../metadata/sql/common.ts';
import type {
  ManifestVerdictRow,
  QuarantineState,
  VerdictInput,
  VerdictRecord,
  VerdictStore,
} from '../../verdicts.ts';

/** Parameters per IN list: well under SQLite's and PostgreSQL's bind limits. */
const CHUNK = 500;

/** Rows per upsert (6 columns each). */
const UPSERT_ROWS = 200;

const chunks = <T>(items: readonly T[], size = CHUNK): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

function toRecord(row: { repository: string; digest: string; state: string; details: string | null; updated_at: number | string; updated_by: string }): VerdictRecord {
  return {
    repository: row.repository,
    digest: row.digest as Digest,
    state: row.state as QuarantineState,
    ...(row.details !== null ? { details: row.details } : {}),
    updatedAt: new Date(Number(row.updated_at)),
    updatedBy: row.updated_by,
  };
}

/** Cursor of listManifests: created_at, repository and digest of the last row. */
const encodeCursor = (r: ManifestVerdictRow) =>
  Buffer.from(JSON.stringify([r.createdAt.getTime(), r.repository, r.digest])).toString('base64url');

function decodeCursor(cursor: string): [number, string, string] | undefined {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 3 && Number.isFinite(v[0]) && typeof v[1] === 'string' && typeof v[2] === 'string') return v as [number, string, string];
  } catch {
    /* fall through */
  }
  return undefined;
}

async function getManyIn(db: Kysely<Database>, repository: string, digests: readonly Digest[]) {
  const out = new Map<Digest, VerdictRecord>();
  for (const part of chunks([...new Set(digests)])) {
    const rows = await db.selectFrom('verdicts').selectAll().where('repository', '=', repository).where('digest', 'in', part).execute();
    for (const row of rows) out.set(row.digest as Digest, toRecord(row));
  }
  return out;
}

export function createVerdictStore(db: Kysely<Database>): VerdictStore {
  async function get(repository: string, digest: Digest) {
    const row = await db.selectFrom('verdicts').selectAll().where('repository', '=', repository).where('digest', '=', digest).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  function setMany(repository: string, inputs: readonly Omit<VerdictInput, 'repository'>[]) {
    if (inputs.length === 0) return Promise.resolve([]);
    if (new Set(inputs.map((i) => i.digest)).size !== inputs.length) return Promise.reject(new Error('verdicts.setMany: one input per digest'));
    return atomically(db, async (db) => {
      const previous = await getManyIn(db, repository, inputs.map((i) => i.digest));
      const out = inputs.map((input) => {
        const before = previous.get(input.digest);
        const details = input.details === undefined ? (before?.details ?? null) : input.details;
        const values = { state: input.state, details, updated_at: (input.at ?? new Date()).getTime(), updated_by: input.updatedBy };
        const record = toRecord({ repository, digest: input.digest, ...values });
        return { row: { repository, digest: input.digest, ...values }, result: before ? { record, previous: before } : { record } };
      });
      for (const part of chunks(out.map((o) => o.row), UPSERT_ROWS)) {
        await db
          .insertInto('verdicts')
          .values(part)
          .onConflict((oc) => oc.columns(['repository', 'digest']).doUpdateSet((eb) => ({ state: eb.ref('excluded.state'), details: eb.ref('excluded.details'), updated_at: eb.ref('excluded.updated_at'), updated_by: eb.ref('excluded.updated_by') })))
          .execute();
      }
      return out.map((o) => o.result);
    });
  }

  async function followersOfMany(repository: string, subjects: readonly Digest[]) {
    const out = new Map<Digest, Digest[]>();
    for (const part of chunks([...new Set(subjects)])) {
      const rows = await db
        .selectFrom('verdict_followers as f')
        .innerJoin('manifests as m', (j) => j.onRef('m.repository', '=', 'f.repository').onRef('m.digest', '=', 'f.digest'))
        .select(['f.subject', 'f.digest'])
        .where('f.repository', '=', repository)
        .where('f.subject', 'in', part)
        .orderBy('f.subject')
        .orderBy('f.digest')
        .execute();
      for (const r of rows) {
        const list = out.get(r.subject as Digest);
        if (list) list.push(r.digest as Digest);
        else out.set(r.subject as Digest, [r.digest as Digest]);
      }
    }
    return out;
  }

  return {
    get,

    getMany: (repository, digests) => getManyIn(db, repository, digests),

    set: async ({ repository, ...input }) => (await setMany(repository, [input]))[0]!,
    setMany,

    async listManifests(options = {}) {
      const n = Math.max(1, Math.min(options.n ?? 100, MAX_PAGE));
      let q = db
        .selectFrom('manifests as m')
        .leftJoin('verdicts as v', (j) => j.onRef('v.repository', '=', 'm.repository').onRef('v.digest', '=', 'm.digest'))
        .select([
          'm.repository', 'm.digest', 'm.media_type', 'm.size', 'm.created_at',
          'v.state', 'v.details', 'v.updated_at', 'v.updated_by',
        ]);
      if (options.repository !== undefined) q = q.where('m.repository', '=', options.repository);
      if (options.repositoryContains) {
        const pattern = `%${options.repositoryContains.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        q = q.where(sql<boolean>`m.repository like ${pattern} escape '\\'`);
      }
      if (options.states && options.states.length > 0) {
        const named = options.states.filter((s): s is QuarantineState => s !== 'absent');
        const absent = options.states.includes('absent');
        q = q.where((eb) => {
          const ors = [];
          if (named.length > 0) ors.push(eb('v.state', 'in', named));
          if (absent) ors.push(eb('v.state', 'is', null));
          return eb.or(ors);
        });
      }
      if (options.last !== undefined) {
        const c = decodeCursor(options.last);
        if (c) q = q.where((eb) => eb(eb.refTuple('m.created_at', 'm.repository', 'm.digest'), '>', eb.tuple(c[0], c[1], c[2])));
      }
      const rows = await q.orderBy('m.created_at').orderBy('m.repository').orderBy('m.digest').limit(n + 1).execute();
      const out: ManifestVerdictRow[] = rows.slice(0, n).map((r) => ({
        repository: r.repository,
        digest: r.digest as Digest,
        mediaType: r.media_type,
        size: Number(r.size),
        createdAt: new Date(Number(r.created_at)),
        ...(r.state !== null ? { state: r.state as QuarantineState } : {}),
        ...(r.details !== null ? { details: r.details } : {}),
        ...(r.updated_at !== null ? { updatedAt: new Date(Number(r.updated_at)) } : {}),
        ...(r.updated_by !== null ? { updatedBy: r.updated_by } : {}),
      }));
      return rows.length > n ? { rows: out, next: encodeCursor(out[out.length - 1]!) } : { rows: out };
    },

    async blobReleased(repository, blob) {
      const row = await db
        .selectFrom('manifest_blobs as mb')
        .innerJoin('verdicts as v', (j) => j.onRef('v.repository', '=', 'mb.repository').onRef('v.digest', '=', 'mb.manifest'))
        .select('mb.manifest')
        .where('mb.repository', '=', repository)
        .where('mb.blob', '=', blob)
        .where('v.state', '=', 'Passed')
        .limit(1)
        .executeTakeFirst();
      return row !== undefined;
    },

    async repositoriesWithReleased(names) {
      const out = new Set<string>();
      for (const part of chunks([...new Set(names)])) {
        const rows = await db
          .selectFrom('manifests as m')
          .innerJoin('verdicts as v', (j) => j.onRef('v.repository', '=', 'm.repository').onRef('v.digest', '=', 'm.digest'))
          .select('m.repository')
          .distinct()
          .where('v.state', '=', 'Passed')
          .where('m.repository', 'in', part)
          .execute();
        for (const r of rows) out.add(r.repository);
      }
      return out;
    },

    async releasedCounts(repository) {
      const m = await db
        .selectFrom('manifests as x')
        .innerJoin('verdicts as v', (j) => j.onRef('v.repository', '=', 'x.repository').onRef('v.digest', '=', 'x.digest'))
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .where('x.repository', '=', repository)
        .where('v.state', '=', 'Passed')
        .executeTakeFirstOrThrow();
      const t = await db
        .selectFrom('tags as x')
        .innerJoin('verdicts as v', (j) => j.onRef('v.repository', '=', 'x.repository').onRef('v.digest', '=', 'x.digest'))
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .where('x.repository', '=', repository)
        .where('v.state', '=', 'Passed')
        .executeTakeFirstOrThrow();
      return { manifestCount: Number(m.count), tagCount: Number(t.count) };
    },

    async counts() {
      const rows = await db
        .selectFrom('manifests as m')
        .leftJoin('verdicts as v', (j) => j.onRef('v.repository', '=', 'm.repository').onRef('v.digest', '=', 'm.digest'))
        .select((eb) => ['v.state', eb.fn.countAll<number | string>().as('count')])
        .groupBy('v.state')
        .execute();
      const out: Record<QuarantineState | 'absent', number> = { Quarantined: 0, Passed: 0, Failed: 0, absent: 0 };
      for (const r of rows) out[(r.state ?? 'absent') as QuarantineState | 'absent'] += Number(r.count);
      return out;
    },

    async countsByRepository() {
      const rows = await db
        .selectFrom('manifests as m')
        .leftJoin('verdicts as v', (j) => j.onRef('v.repository', '=', 'm.repository').onRef('v.digest', '=', 'm.digest'))
        .select((eb) => ['m.repository', 'v.state', eb.fn.countAll<number | string>().as('count')])
        .groupBy(['m.repository', 'v.state'])
        .orderBy('m.repository')
        .execute();
      return rows.map((r) => ({ repository: r.repository, state: (r.state ?? 'absent') as QuarantineState | 'absent', count: Number(r.count) }));
    },

    async follow(repository, digest, subject) {
      await db.insertInto('verdict_followers').values({ repository, digest, subject }).onConflict((oc) => oc.columns(['repository', 'digest']).doNothing()).execute();
    },

    async followersOf(repository, subject) {
      return (await followersOfMany(repository, [subject])).get(subject) ?? [];
    },

    followersOfMany,

    async followed(repository, digests) {
      const out = new Map<Digest, Digest>();
      for (const part of chunks([...new Set(digests)])) {
        const rows = await db.selectFrom('verdict_followers').select(['digest', 'subject']).where('repository', '=', repository).where('digest', 'in', part).execute();
        for (const r of rows) out.set(r.digest as Digest, r.subject as Digest);
      }
      return out;
    },
  };
}
