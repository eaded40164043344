/** ScanJobStore (../../job-store.ts) on Kysely, both dialects; the claim as in the webhook outbox. */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { ScanDatabase } from '../tables.ts';
import type { ScanJobsTable } from '../tables.ts';
import { isPostgres } from '../../../metadata/migrations/helpers.ts';
import { ACTIVE_STATES, type ClaimedJob, type JobPatch, type ScanArtifact, type ScanJob, type ScanJobKind, type ScanJobState, type ScanJobStore, type ScanReason, type ScanSummary } from '../../job-store.ts';

const ms = (v: number | string | null) => (v === null ? undefined : new Date(Number(v)));

function toJob(r: ScanJobsTable): ScanJob {
  const job: ScanJob = {
    id: r.id,
    repository: r.repository,
    digest: r.digest,
    mediaType: r.media_type,
    kind: r.kind as ScanJobKind,
    reason: r.reason as ScanReason,
    state: r.state as ScanJobState,
    attempts: Number(r.attempts),
    nextAttemptAt: new Date(Number(r.next_attempt_at)),
    createdAt: new Date(Number(r.created_at)),
    updatedAt: new Date(Number(r.updated_at)),
  };
  if (r.scanner !== null) job.scanner = r.scanner;
  if (r.adapter_job_id !== null) job.adapterJobId = r.adapter_job_id;
  if (r.submitted_at !== null) job.submittedAt = ms(r.submitted_at)!;
  if (r.status_message !== null) job.statusMessage = r.status_message;
  if (r.summary !== null) job.summary = JSON.parse(r.summary) as ScanSummary;
  if (r.db_updated_at !== null) job.dbUpdatedAt = ms(r.db_updated_at)!;
  if (r.finished_at !== null) job.finishedAt = ms(r.finished_at)!;
  return job;
}

function toColumns(patch: JobPatch): Partial<ScanJobsTable> {
  const set: Partial<ScanJobsTable> = { updated_at: Date.now() };
  const d = (v: Date | null | undefined) => (v === null ? null : v!.getTime());
  if (patch.state !== undefined) set.state = patch.state;
  if (patch.scanner !== undefined) set.scanner = patch.scanner;
  if (patch.attempts !== undefined) set.attempts = patch.attempts;
  if (patch.nextAttemptAt !== undefined) set.next_attempt_at = patch.nextAttemptAt.getTime();
  if (patch.adapterJobId !== undefined) set.adapter_job_id = patch.adapterJobId;
  if (patch.submittedAt !== undefined) set.submitted_at = d(patch.submittedAt);
  if (patch.statusMessage !== undefined) set.status_message = patch.statusMessage;
  if (patch.credentialHash !== undefined) set.credential_hash = patch.credentialHash;
  if (patch.credentialExpiresAt !== undefined) set.credential_expires_at = d(patch.credentialExpiresAt);
  if (patch.summary !== undefined) set.summary = JSON.stringify(patch.summary);
  if (patch.report !== undefined) set.report = patch.report;
  if (patch.dbUpdatedAt !== undefined) set.db_updated_at = d(patch.dbUpdatedAt);
  if (patch.finishedAt !== undefined) set.finished_at = patch.finishedAt.getTime();
  return set;
}

/** Parameters per IN list: well under both dialects' bind limits. */
const IN_LIST = 500;

/** Every column but the (possibly large) report. */
const COLUMNS = [
  'id', 'repository', 'digest', 'media_type', 'kind', 'reason', 'scanner', 'state', 'attempts', 'next_attempt_at', 'claimed_by',
  'claimed_until', 'adapter_job_id', 'submitted_at', 'status_message', 'credential_hash', 'credential_expires_at', 'summary',
  'db_updated_at', 'created_at', 'updated_at', 'finished_at',
] as const;

export function createScanJobStore(db: Kysely<ScanDatabase>): ScanJobStore {
  const postgres = isPostgres(db);
  const jobs = () => db.selectFrom('scan_jobs').select(COLUMNS);
  const one = async (id: string) => {
    const row = await jobs().where('id', '=', id).executeTakeFirst();
    return row && toJob({ ...row, report: null });
  };
  const active = (repository: string, digest: string) =>
    jobs().where('repository', '=', repository).where('digest', '=', digest).where('state', 'in', [...ACTIVE_STATES]).executeTakeFirst();

  return {
    get: one,

    async enqueue(input, now = new Date()) {
      const existing = await active(input.repository, input.digest);
      if (existing) return { job: toJob({ ...existing, report: null }), created: false };
      const t = now.getTime();
      const id = randomUUID();
      const result = await db
        .insertInto('scan_jobs')
        .values({
          id,
          repository: input.repository,
          digest: input.digest,
          media_type: input.mediaType,
          kind: input.kind,
          reason: input.reason,
          scanner: input.scanner ?? null,
          state: 'pending',
          attempts: 0,
          next_attempt_at: t,
          claimed_by: null,
          claimed_until: null,
          adapter_job_id: null,
          submitted_at: null,
          status_message: 'queued',
          credential_hash: null,
          credential_expires_at: null,
          summary: null,
          report: null,
          db_updated_at: null,
          created_at: t,
          updated_at: t,
          finished_at: null,
        })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (Number(result.numInsertedOrUpdatedRows ?? 0n) === 0) {
        // Another transaction added the active job a moment ago.
        const row = await active(input.repository, input.digest);
        if (row) return { job: toJob({ ...row, report: null }), created: false };
      }
      return { job: (await one(id))!, created: true };
    },

    async report(id) {
      const row = await db.selectFrom('scan_jobs').select('report').where('id', '=', id).executeTakeFirst();
      return row?.report ?? undefined;
    },

    async list(options = {}) {
      const n = Math.max(1, Math.min(options.n ?? 100, 500));
      let q = jobs().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(n);
      if (options.states?.length) q = q.where('state', 'in', options.states);
      if (options.repository !== undefined) q = q.where('repository', '=', options.repository);
      if (options.digest !== undefined) q = q.where('digest', '=', options.digest);
      if (options.last !== undefined) {
        const last = await db.selectFrom('scan_jobs').select(['created_at', 'id']).where('id', '=', options.last).executeTakeFirst();
        if (!last) return [];
        const at = Number(last.created_at);
        q = q.where((eb) => eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', last.id)])]));
      }
      return (await q.execute()).map((r) => toJob({ ...r, report: null }));
    },

    async latest(repository, digest, states) {
      let q = jobs().where('repository', '=', repository).where('digest', '=', digest).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(1);
      if (states?.length) q = q.where('state', 'in', states);
      const row = await q.executeTakeFirst();
      return row && toJob({ ...row, report: null });
    },

    async latestWithReports(repository, digests, states) {
      const out = new Map<string, { job: ScanJob; report?: string }>();
      const unique = [...new Set(digests)];
      for (let i = 0; i < unique.length; i += IN_LIST) {
        // The newest job per digest, ranked in SQL (both dialects have window functions), so
        // the reports of older jobs are never read.
        const ranked = db
          .selectFrom('scan_jobs')
          .select([...COLUMNS, 'report', sql<number>`row_number() over (partition by digest order by created_at desc, id desc)`.as('rank')])
          .where('repository', '=', repository)
          .where('digest', 'in', unique.slice(i, i + IN_LIST))
          .where('state', 'in', states);
        const rows = await db.selectFrom(ranked.as('j')).selectAll().where('rank', '=', 1).execute();
        for (const { rank: _rank, report, ...row } of rows) out.set(row.digest, { job: toJob({ ...row, report: null }), ...(report !== null ? { report } : {}) });
      }
      return out;
    },

    async claim({ now, leaseMs, limit }) {
      const t = now.getTime();
      const token = randomUUID();
      const due = (eb: any) =>
        eb.and([eb('state', 'in', [...ACTIVE_STATES]), eb('next_attempt_at', '<=', t), eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', t)])]);
      const candidates = await db.selectFrom('scan_jobs').select('id').where(due).orderBy('next_attempt_at').limit(limit).execute();
      if (candidates.length === 0) return [];
      const lock = postgres ? sql`for update skip locked` : sql``;
      const ids = sql.join(candidates.map((c) => sql`${c.id}`));
      await sql`
        update scan_jobs set claimed_by = ${token}, claimed_until = ${t + leaseMs}
        where id in (
          select j.id from scan_jobs j
          where j.id in (${ids}) and j.state in ('pending', 'submitted') and j.next_attempt_at <= ${t}
            and (j.claimed_until is null or j.claimed_until < ${t})
          ${lock}
        )`.execute(db);
      const rows = await jobs().where('claimed_by', '=', token).orderBy('next_attempt_at').execute();
      return rows.map((r): ClaimedJob => ({ ...toJob({ ...r, report: null }), claimToken: token }));
    },

    async release(claim, patch) {
      const result = await db
        .updateTable('scan_jobs')
        .set({ ...toColumns(patch), claimed_by: null, claimed_until: null })
        .where('id', '=', claim.id)
        .where('claimed_by', '=', claim.claimToken)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async renew(claim, until) {
      const result = await db.updateTable('scan_jobs').set({ claimed_until: until.getTime() }).where('id', '=', claim.id).where('claimed_by', '=', claim.claimToken).executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async patch(id, patch) {
      const result = await db.updateTable('scan_jobs').set(toColumns(patch)).where('id', '=', id).executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async wakePending(now) {
      await db.updateTable('scan_jobs').set({ next_attempt_at: now.getTime() }).where('state', '=', 'pending').where('claimed_by', 'is', null).where('next_attempt_at', '>', now.getTime()).execute();
    },

    async submittedCount(scanner) {
      const row = await db.selectFrom('scan_jobs').select((eb) => eb.fn.countAll<number>().as('n')).where('scanner', '=', scanner).where('state', '=', 'submitted').executeTakeFirst();
      return Number(row?.n ?? 0);
    },

    async credential(id) {
      const row = await db.selectFrom('scan_jobs').select(['repository', 'credential_hash', 'credential_expires_at', 'state']).where('id', '=', id).executeTakeFirst();
      if (!row || row.credential_hash === null || row.credential_expires_at === null) return undefined;
      return { repository: row.repository, hash: row.credential_hash, expiresAt: new Date(Number(row.credential_expires_at)), state: row.state as ScanJobState };
    },

    async staleResults(scanner, before, limit) {
      // Newest succeeded job per manifest by this scanner, older database than `before`.
      const rows = await db
        .selectFrom('scan_jobs as j')
        .select(['j.repository', 'j.digest', 'j.media_type', 'j.db_updated_at', 'j.created_at'])
        .where('j.scanner', '=', scanner)
        .where('j.state', '=', 'succeeded')
        .where('j.kind', '=', 'image')
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('scan_jobs as k')
                .select('k.id')
                .whereRef('k.repository', '=', 'j.repository')
                .whereRef('k.digest', '=', 'j.digest')
                .where((eb) => eb.or([eb('k.state', 'in', [...ACTIVE_STATES]), eb.and([eb('k.state', '=', 'succeeded'), eb('k.db_updated_at', '>=', before.getTime())])])),
            ),
          ),
        )
        .orderBy('j.created_at')
        .limit(limit * 4)
        .execute();
      const seen = new Set<string>();
      const out: { repository: string; digest: string; mediaType: string }[] = [];
      for (const r of rows) {
        const key = `${r.repository}@${r.digest}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ repository: r.repository, digest: r.digest, mediaType: r.media_type });
        if (out.length >= limit) break;
      }
      return out;
    },

    async nextDue() {
      // A job leased by a node that died is due when its lease runs out, not before.
      const row = await db
        .selectFrom('scan_jobs')
        .select(sql<number | null>`min(case when claimed_until is not null and claimed_until > next_attempt_at then claimed_until else next_attempt_at end)`.as('at'))
        .where('state', 'in', [...ACTIVE_STATES])
        .executeTakeFirst();
      return row?.at === null || row?.at === undefined ? undefined : new Date(Number(row.at));
    },

    async addArtifact(a) {
      await db
        .insertInto('scan_artifacts')
        .values({ repository: a.repository, digest: a.digest, subject: a.subject, artifact_type: a.artifactType, job_id: a.jobId, created_at: Date.now() })
        .onConflict((oc) => oc.doNothing())
        .execute();
    },

    async artifactsOfMany(repository, subjects) {
      const out = new Map<string, ScanArtifact[]>();
      const unique = [...new Set(subjects)];
      for (let i = 0; i < unique.length; i += IN_LIST) {
        const rows = await db.selectFrom('scan_artifacts').selectAll().where('repository', '=', repository).where('subject', 'in', unique.slice(i, i + IN_LIST)).orderBy('subject').orderBy('created_at').execute();
        for (const r of rows) {
          const a = { repository: r.repository, digest: r.digest, subject: r.subject, artifactType: r.artifact_type, jobId: r.job_id, createdAt: new Date(Number(r.created_at)) };
          const list = out.get(r.subject);
          if (list) list.push(a);
          else out.set(r.subject, [a]);
        }
      }
      return out;
    },

    async artifactsOf(repository, subject) {
      const rows = await db.selectFrom('scan_artifacts').selectAll().where('repository', '=', repository).where('subject', '=', subject).orderBy('created_at').execute();
      return rows.map((r) => ({ repository: r.repository, digest: r.digest, subject: r.subject, artifactType: r.artifact_type, jobId: r.job_id, createdAt: new Date(Number(r.created_at)) }));
    },
  };
}
