/** ReleasePolicyStore and EvaluationStore (../../policy-store.ts) on Kysely, both dialects. */
import type { Kysely } from 'kysely';
import { atomically } from '../../../metadata/sql/common.ts';
import { isPostgres } from '../../../metadata/migrations/helpers.ts';
import type { ReleasePolicyDatabase, ReleasePoliciesTable, ReleaseEvaluationsTable } from '../tables.ts';
import type { EvaluationRecord, EvaluationStore, ReleasePolicyRecord, ReleasePolicyStore } from '../../policy-store.ts';
import { canonicalJson } from '../../document.ts';

const toPolicy = (r: ReleasePoliciesTable): ReleasePolicyRecord => ({
  name: r.name,
  version: Number(r.version),
  document: JSON.parse(r.document),
  source: r.source,
  createdAt: new Date(Number(r.created_at)),
  updatedAt: new Date(Number(r.updated_at)),
  updatedBy: r.updated_by,
});

async function nextVersion(db: Kysely<ReleasePolicyDatabase>, name: string): Promise<number> {
  const row = await db.selectFrom('release_policy_versions').select((eb) => eb.fn.max('version').as('v')).where('name', '=', name).executeTakeFirst();
  return Number(row?.v ?? 0) + 1;
}

export function createReleasePolicyStore(db: Kysely<ReleasePolicyDatabase>): ReleasePolicyStore {
  const get = async (name: string) => {
    const row = await db.selectFrom('release_policies').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toPolicy(row);
  };
  return {
    get,
    async list() {
      return (await db.selectFrom('release_policies').selectAll().orderBy('name').execute()).map(toPolicy);
    },
    put(input) {
      return atomically(db, async (t) => {
        // PostgreSQL: lock the row so two applies of one name take turns; SQLite serializes writers anyway.
        const select = t.selectFrom('release_policies').selectAll().where('name', '=', input.name);
        const row = await (isPostgres(t) ? select.forUpdate() : select).executeTakeFirst();
        const previous = row && toPolicy(row);
        if (input.expectedVersion !== undefined && (previous?.version ?? 0) !== input.expectedVersion) return { conflict: true as const };
        const version = await nextVersion(t, input.name);
        const now = Date.now();
        const document = canonicalJson(input.document);
        await t.insertInto('release_policy_versions').values({ name: input.name, version, document, changed_at: now, changed_by: input.actor }).execute();
        if (previous) {
          await t.updateTable('release_policies').set({ version, document, source: input.source, updated_at: now, updated_by: input.actor }).where('name', '=', input.name).execute();
        } else {
          await t.insertInto('release_policies').values({ name: input.name, version, document, source: input.source, created_at: now, updated_at: now, updated_by: input.actor }).execute();
        }
        const record: ReleasePolicyRecord = { name: input.name, version, document: JSON.parse(document), source: input.source, createdAt: previous?.createdAt ?? new Date(now), updatedAt: new Date(now), updatedBy: input.actor };
        return previous ? { record, previous } : { record };
      });
    },
    delete(name, actor) {
      return atomically(db, async (t) => {
        const row = await t.selectFrom('release_policies').selectAll().where('name', '=', name).executeTakeFirst();
        if (!row) return undefined;
        await t.deleteFrom('release_policies').where('name', '=', name).execute();
        await t.insertInto('release_policy_versions').values({ name, version: await nextVersion(t, name), document: null, changed_at: Date.now(), changed_by: actor }).execute();
        return toPolicy(row);
      });
    },
    async versions(name, n = 50) {
      const rows = await db.selectFrom('release_policy_versions').selectAll().where('name', '=', name).orderBy('version', 'desc').limit(n).execute();
      return rows.map((r) => ({ name: r.name, version: Number(r.version), document: r.document === null ? null : JSON.parse(r.document), changedAt: new Date(Number(r.changed_at)), changedBy: r.changed_by }));
    },
  };
}

const toEvaluation = (r: ReleaseEvaluationsTable): EvaluationRecord => ({
  repository: r.repository,
  digest: r.digest,
  policy: r.policy,
  version: Number(r.version),
  passed: Number(r.passed) === 1,
  rules: JSON.parse(r.rules),
  evaluatedAt: new Date(Number(r.evaluated_at)),
  ...(r.violating_since !== null ? { violatingSince: new Date(Number(r.violating_since)) } : {}),
  ...(r.requarantine_at !== null ? { requarantineAt: new Date(Number(r.requarantine_at)) } : {}),
});

/** Parameters per IN list, and rows per upsert (9 columns each): well under both dialects' bind limits. */
const IN_LIST = 500;
const UPSERT_ROWS = 200;

const evaluationRow = (e: EvaluationRecord): ReleaseEvaluationsTable => ({
  repository: e.repository,
  digest: e.digest,
  policy: e.policy,
  version: e.version,
  passed: e.passed ? 1 : 0,
  rules: JSON.stringify(e.rules),
  evaluated_at: e.evaluatedAt.getTime(),
  violating_since: e.violatingSince?.getTime() ?? null,
  requarantine_at: e.requarantineAt?.getTime() ?? null,
});

export function createEvaluationStore(db: Kysely<ReleasePolicyDatabase>): EvaluationStore {
  // One upsert for many rows: the conflicting row takes the proposed one's columns (`excluded`, both dialects).
  async function putMany(records: readonly EvaluationRecord[]) {
    // The last record of a digest wins, as consecutive puts would (a statement may not touch one row twice).
    const rows = [...new Map(records.map((e) => [`${e.repository}\n${e.digest}`, evaluationRow(e)])).values()];
    for (let i = 0; i < rows.length; i += UPSERT_ROWS) {
      await db
        .insertInto('release_evaluations')
        .values(rows.slice(i, i + UPSERT_ROWS))
        .onConflict((oc) =>
          oc.columns(['repository', 'digest']).doUpdateSet((eb) => ({
            policy: eb.ref('excluded.policy'),
            version: eb.ref('excluded.version'),
            passed: eb.ref('excluded.passed'),
            rules: eb.ref('excluded.rules'),
            evaluated_at: eb.ref('excluded.evaluated_at'),
            violating_since: eb.ref('excluded.violating_since'),
            requarantine_at: eb.ref('excluded.requarantine_at'),
          })),
        )
        .execute();
    }
  }
  return {
    async get(repository, digest) {
      const row = await db.selectFrom('release_evaluations').selectAll().where('repository', '=', repository).where('digest', '=', digest).executeTakeFirst();
      return row && toEvaluation(row);
    },
    async getMany(repository, digests) {
      const out = new Map<string, EvaluationRecord>();
      const unique = [...new Set(digests)];
      for (let i = 0; i < unique.length; i += IN_LIST) {
        const rows = await db.selectFrom('release_evaluations').selectAll().where('repository', '=', repository).where('digest', 'in', unique.slice(i, i + IN_LIST)).execute();
        for (const row of rows) out.set(row.digest, toEvaluation(row));
      }
      return out;
    },
    put: (e) => putMany([e]),
    putMany,
    async dueForRequarantine(now, n) {
      const rows = await db.selectFrom('release_evaluations').selectAll().where('requarantine_at', 'is not', null).where('requarantine_at', '<=', now.getTime()).orderBy('requarantine_at').limit(n).execute();
      return rows.map(toEvaluation);
    },
    async deleteOfPolicy(policy) {
      const r = await db.deleteFrom('release_evaluations').where('policy', '=', policy).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
