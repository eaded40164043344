/**
 * /api/v1/scans: scan jobs and their reports (docs/scanning.md).
 *
 *   GET  /api/v1/scans?repository=&digest=&tag=&state=&n=&last=   jobs, newest first
 *   POST /api/v1/scans {repository, digest | tag}              scan now (`manual`); 202 with the job
 *   GET  /api/v1/scans/{id}                                    one job
 *   GET  /api/v1/scans/{id}/report                             the vulnerability report as received
 *   GET  /api/v1/scans/overview                                scanners' health and job counts (portal)
 *
 * Visibility follows the quarantine queue: jobs name held manifests, so a caller sees the jobs
 * of repositories where it has quarantine read, or all of them with `configure`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Services } from '../services.ts';
import type { Digest } from '../oci/index.ts';
import { parseDigest } from '../oci/index.ts';
import { isValidRepositoryName, isValidTag } from '../oci/index.ts';
import { registryError } from '../errors/index.ts';
import type { ScanJob, ScanJobState } from './job-store.ts';
import { queueScan } from './scan-lifecycle.ts';
import { jobView, scannerView } from './views.ts';
import { declareRoutes, serve } from '../http/route-table.ts';
import { ScanJobList, ScanJobView, ScansOverview } from './scan-schemas.ts';

const tags = ['scans'];
const authenticated = { access: { kind: 'authenticated' } } as const;
const STATES: ScanJobState[] = ['pending', 'submitted', 'succeeded', 'failed', 'cancelled'];
const ListQuery = Type.Object({
  repository: Type.Optional(Type.String({ maxLength: 256 })),
  digest: Type.Optional(Type.String({ maxLength: 200 })),
  /** With repository: the jobs of the manifest the tag points at (for callers who see that repository's jobs). */
  tag: Type.Optional(Type.String({ maxLength: 128 })),
  state: Type.Optional(Type.String({ maxLength: 100 })),
  n: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  last: Type.Optional(Type.String({ maxLength: 100 })),
});
const StartBody = Type.Object({ repository: Type.String({ maxLength: 256 }), digest: Type.Optional(Type.String({ maxLength: 200 })), tag: Type.Optional(Type.String({ maxLength: 128 })) }, { additionalProperties: false });
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });

/** The routes of this file (the route table: src/http/route-table.ts). */
export const scanRoutes = declareRoutes({
  getScansOverview: { method: 'GET', url: '/api/v1/scans/overview', api: 'api', access: authenticated.access, tags, summary: "Scanners' health and scan counts", schema: { response: { 200: ScansOverview } } },
  getScans: { method: 'GET', url: '/api/v1/scans', api: 'api', access: authenticated.access, tags, summary: 'Scan jobs, newest first', schema: { querystring: ListQuery, response: { 200: ScanJobList } } },
  postScans: { method: 'POST', url: '/api/v1/scans', api: 'api', access: authenticated.access, tags, summary: 'Scan a manifest now', bodyLimit: 4096, schema: { body: StartBody, response: { 202: ScanJobView } } },
  getScansById: { method: 'GET', url: '/api/v1/scans/:id', api: 'api', access: authenticated.access, tags, summary: 'One scan job', schema: { params: IdParams, response: { 200: ScanJobView } } },
  getScansByIdReport: { method: 'GET', url: '/api/v1/scans/:id/report', api: 'api', access: authenticated.access, tags, summary: 'The vulnerability report of a finished scan', schema: { params: IdParams } },
});

export function registerScanRoutes(app: FastifyInstance, services: Services) {
  const { store } = services;
  // Who sees held metadata (configure, or quarantine read there): one rule, the registry service's.
  const sees = (request: FastifyRequest, repository: string) => services.registry.as(request.access).seesHeldMetadata(repository);
  const visibleJob = async (request: FastifyRequest, id: string): Promise<ScanJob> => {
    const job = await store.scanJobs.get(id);
    // A job the caller may not see is indistinguishable from a missing one.
    if (!job || !sees(request, job.repository)) throw registryError('NOT_FOUND', `scan "${id.slice(0, 100)}" not found`);
    return job;
  };

  serve(app, scanRoutes.getScansOverview, async (request) => {
    const scanners = request.access.canRegistry('configure') ? (await store.scanners.list()).map((s) => ({ name: s.name, health: scannerView(s).health, default: s.isDefault, vulnerabilityDatabaseUpdatedAt: s.dbUpdatedAt?.toISOString() ?? null })) : [];
    const active = (await store.scanJobs.list({ states: ['pending', 'submitted'], n: 500 })).filter((j) => sees(request, j.repository));
    return { scanners, scanning: active.filter((j) => j.state === 'submitted').length, waiting: active.filter((j) => j.state === 'pending').length };
  });

  serve(app, scanRoutes.getScans, async (request) => {
    const q = request.query;
    if (q.repository !== undefined && !isValidRepositoryName(q.repository)) throw registryError('NAME_INVALID', `invalid repository name: ${JSON.stringify(q.repository)}`, { field: 'repository' });
    if (q.digest !== undefined && !parseDigest(q.digest)) throw registryError('DIGEST_INVALID', `invalid digest: ${JSON.stringify(q.digest)}`, { field: 'digest' });
    const states = q.state ? q.state.split(',').map((s) => s.trim()) : undefined;
    for (const s of states ?? []) if (!STATES.includes(s as ScanJobState)) throw registryError('BAD_REQUEST', `state must be one of ${STATES.join(', ')}`, { field: 'state' });
    if (q.tag !== undefined) {
      if (q.repository === undefined) throw registryError('BAD_REQUEST', 'tag needs repository', { field: 'tag' });
      if (!isValidTag(q.tag)) throw registryError('TAG_INVALID', `invalid tag: ${JSON.stringify(q.tag)}`, { field: 'tag' });
      const tagged = await services.registry.as(request.access).heldMetadataTagDigest(q.repository, q.tag);
      if (!tagged) return { scans: [] };
      q.digest = tagged;
    }
    const n = q.n ?? 100;
    const scans = [];
    let last = q.last;
    // Filter after reading (like the queue); stop after a bounded number of rows.
    for (let scanned = 0; scans.length < n && scanned < 5000; ) {
      const page = await store.scanJobs.list({ n: 500, ...(states ? { states: states as ScanJobState[] } : {}), ...(q.repository ? { repository: q.repository } : {}), ...(q.digest ? { digest: q.digest } : {}), ...(last ? { last } : {}) });
      scanned += page.length;
      for (const j of page) {
        if (scans.length >= n) break;
        if (sees(request, j.repository)) scans.push(jobView(j));
      }
      if (page.length < 500) break;
      last = page.at(-1)!.id;
    }
    return { scans, ...(scans.length === n ? { next: scans.at(-1)!.id } : {}) };
  });

  serve(app, scanRoutes.postScans, async (request, reply) => {
    const body = request.body;
    if (!isValidRepositoryName(body.repository)) throw registryError('NAME_INVALID', `invalid repository name: ${JSON.stringify(body.repository)}`, { field: 'repository' });
    if (!request.access.canRegistry('configure') && !request.access.can(body.repository, 'quarantine_write')) throw registryError('DENIED', 'starting a scan needs configure, or quarantine write on the repository');
    let target: { digest: Digest } | { tag: string };
    if (body.digest !== undefined) {
      if (!parseDigest(body.digest)) throw registryError('DIGEST_INVALID', `invalid digest: ${JSON.stringify(body.digest)}`, { field: 'digest' });
      target = { digest: body.digest as Digest };
    } else if (body.tag !== undefined) {
      if (!isValidTag(body.tag)) throw registryError('TAG_INVALID', `invalid tag: ${JSON.stringify(body.tag)}`, { field: 'tag' });
      target = { tag: body.tag };
    } else throw registryError('BAD_REQUEST', 'digest or tag is required', { field: 'digest' });
    // The tag, the manifest and this transaction: the registry service's; the job and its audit: ours.
    const job = await services.registry.as(request.access).requestScan(body.repository, target, async (tx, digest) => {
      if (!(await queueScan(tx, body.repository, digest, 'manual'))) throw registryError('BAD_REQUEST', 'the manifest is neither an image nor an index: nothing to scan', { field: 'digest' });
      await tx.audit.append({ actor: request.access.principal.name, action: 'scan.request', target: `${body.repository}@${digest}`, requestId: request.id });
      return tx.scanJobs.latest(body.repository, digest, ['pending', 'submitted']);
    });
    services.scan.dispatcher.wake();
    reply.status(202);
    return jobView(job!);
  });

  serve(app, scanRoutes.getScansById, async (request) => jobView(await visibleJob(request, request.params.id)));

  serve(app, scanRoutes.getScansByIdReport, async (request, reply) => {
    const job = await visibleJob(request, request.params.id);
    const report = await store.scanJobs.report(job.id);
    if (!report) throw registryError('NOT_FOUND', `scan "${job.id}" has no report (${job.state})`);
    return reply.type('application/json').send(report);
  });
}
