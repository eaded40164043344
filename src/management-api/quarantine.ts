/**
 * /api/v1/quarantine: operating the gate (docs/quarantine.md "Turning the gate on safely").
 *
 * - GET  /api/v1/quarantine/preflight  (configure) what enabling would hold: counts by verdict
 *   and the manifests that are not Passed, oldest first.
 * - POST /api/v1/quarantine/rescan     (configure) raises `quarantine` events (lifecycle
 *   rescanRequested) for every manifest without a verdict (or with the given states).
 * - POST /api/v1/quarantine/grandfather (configure) marks every manifest without a verdict
 *   `Passed`, each audited as a verdict change whose details say it was a bulk grandfather.
 * - GET  /api/v1/quarantine/queue      (authenticated) manifests by verdict, oldest first, each
 *   with `waiting` and its newest scan job; default: the held ones (no verdict, Quarantined,
 *   Failed); `repository` (exact) or `q` (name contains) filter; `waiting=true` keeps, of the
 *   rows without a verdict or Quarantined, those whose `waiting` is true (the one rule,
 *   waitsForVerdict; default state then absent,Quarantined); keyset cursor `next`. Rows are limited to repositories
 *   where the caller has quarantine read, unless it holds `configure` (an admin needs the list
 *   to decide; names and digests are not content). For such callers the `next` cursor points
 *   at the last row returned, never at a row they may not see.
 * Bulk operations work in pages of 200, each page in one transaction. All of it is the
 * registry service's (src/registry/quarantine-views.ts); this file parses and renders.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import type { Services } from '../services.ts';
import { registryError } from '../errors/index.ts';
import { requestFacts } from '../http/request-context.ts';
import { isValidRepositoryName } from '../oci/index.ts';
import { readPolicy } from '../quarantine/policy.ts';
import { isQuarantineState } from '../quarantine/verdicts.ts';
import type { ManifestVerdictRow, StateFilter } from '../registry/index.ts';
import { queueScanView } from '../scan/views.ts';
import { declareRoutes, serve } from '../http/route-table.ts';
import { type BulkBody, GrandfatherResult, Preflight, QueuePage, QueueQuery, RescanResult } from './quarantine-schemas.ts';

const HELD: StateFilter[] = ['absent', 'Quarantined', 'Failed'];
/** What `waiting=true` asks for without `state`: the states that can wait for a verdict. */
const MAY_WAIT: StateFilter[] = ['absent', 'Quarantined'];

/**
 * The optional body of rescan/grandfather (`BulkBody`), checked by hand because a POST without
 * any body is valid too (Fastify's schema check would demand an object).
 */
function bulkBody(raw: unknown): Static<typeof BulkBody> {
  if (raw === undefined || raw === null || raw === '') return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw registryError('BAD_REQUEST', 'the body must be a JSON object');
  const out: Static<typeof BulkBody> = {};
  for (const [k, v] of Object.entries(raw)) {
    if ((k !== 'repository' && k !== 'state') || typeof v !== 'string') {
      throw registryError('BAD_REQUEST', `${k} is not accepted (allowed: repository and state, both strings)`, { field: k });
    }
    out[k] = v;
  }
  return out;
}

function parseStates(raw: string | undefined, fallback: StateFilter[]): StateFilter[] {
  if (raw === undefined || raw === '') return fallback;
  const out: StateFilter[] = [];
  for (const s of raw.split(',').map((x) => x.trim())) {
    if (s === 'absent' || isQuarantineState(s)) out.push(s);
    else throw registryError('BAD_REQUEST', `state must be absent, Quarantined, Passed or Failed (got ${JSON.stringify(s.slice(0, 40))})`, { field: 'state' });
  }
  return out;
}

function parseRepository(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!isValidRepositoryName(raw)) throw registryError('NAME_INVALID', `invalid repository name: ${JSON.stringify(raw)}`, { field: 'repository' });
  return raw;
}

export function rowJson(r: ManifestVerdictRow, tags?: string[]): Static<typeof Preflight>['manifests'][number] {
  return {
    repository: r.repository,
    digest: r.digest,
    mediaType: r.mediaType,
    size: r.size,
    createdTime: r.createdAt.toISOString(),
    quarantineState: r.state ?? null,
    quarantineDetails: r.details ?? null,
    verdictUpdatedAt: r.updatedAt?.toISOString() ?? null,
    verdictUpdatedBy: r.updatedBy ?? null,
    ...(tags ? { tags } : {}),
  };
}

const configure = { kind: 'registry', action: 'configure' } as const;
const tags = ['quarantine'];
/** The routes of this file (the route table: src/http/route-table.ts). */
export const quarantineRoutes = declareRoutes({
  getQuarantinePreflight: { method: 'GET', url: '/api/v1/quarantine/preflight', api: 'api', access: configure, tags, summary: 'What enabling the policy would hold', schema: { querystring: QueueQuery, response: { 200: Preflight } } },
  getQuarantineQueue: {
    method: 'GET',
    url: '/api/v1/quarantine/queue',
    api: 'api',
    access: { kind: 'authenticated' },
    tags,
    summary: 'Manifests by verdict with their scan state, oldest first (default: held); keyset cursor `next`',
    schema: { querystring: QueueQuery, response: { 200: QueuePage } },
  },
  postQuarantineRescan: { method: 'POST', url: '/api/v1/quarantine/rescan', api: 'api', access: configure, tags, summary: 'Raise quarantine events for manifests without a verdict', bodyLimit: 4096, schema: { response: { 200: RescanResult } } },
  postQuarantineGrandfather: { method: 'POST', url: '/api/v1/quarantine/grandfather', api: 'api', access: configure, tags, summary: 'Mark every manifest without a verdict Passed', bodyLimit: 4096, schema: { response: { 200: GrandfatherResult } } },
});

export function registerQuarantineRoutes(app: FastifyInstance, services: Services) {
  const { registry } = services;

  serve(app, quarantineRoutes.getQuarantinePreflight, async (request) => {
    const q = request.query;
    const repository = parseRepository(q.repository);
    const { counts, rows, next } = await registry.as(request.access).preflight({ n: q.n ?? 100, ...(repository ? { repository } : {}), ...(q.last ? { last: q.last } : {}) });
    return {
      policy: (await readPolicy(services.store.settings)).status,
      wouldHold: counts.absent + counts.Quarantined + counts.Failed,
      counts,
      manifests: rows.map((r) => rowJson(r, r.tags)),
      ...(next ? { next } : {}),
    };
  });

  serve(app, quarantineRoutes.getQuarantineQueue, async (request) => {
    const q = request.query;
    const states = parseStates(q.state, q.waiting ? MAY_WAIT : HELD);
    const repository = parseRepository(q.repository);
    const contains = q.q?.trim().toLowerCase();
    const { rows, next } = await registry.as(request.access).queue({
      states,
      n: q.n ?? 100,
      ...(q.waiting ? { waiting: true } : {}),
      ...(repository ? { repository } : {}),
      ...(contains ? { repositoryContains: contains } : {}),
      ...(q.last ? { last: q.last } : {}),
    });
    // Each row says what the scan orchestrator is doing about it ("scanning", "waiting for scanner X: ...", "failed: ...").
    const manifests: Static<typeof QueuePage>['manifests'] = [];
    for (const r of rows) manifests.push({ ...rowJson(r, r.tags), waiting: r.waiting, scan: queueScanView(await services.store.scanJobs.latest(r.repository, r.digest)) });
    return { manifests, ...(next ? { next } : {}) };
  });

  serve(app, quarantineRoutes.postQuarantineRescan, async (request: FastifyRequest) => {
    const body = bulkBody(request.body);
    const states = parseStates(body.state, ['absent']);
    const repository = parseRepository(body.repository);
    return { requested: await registry.as(request.access).rescan(states, repository, requestFacts(request)) };
  });

  serve(app, quarantineRoutes.postQuarantineGrandfather, async (request: FastifyRequest) => {
    const body = bulkBody(request.body);
    if (body.state !== undefined) throw registryError('BAD_REQUEST', 'grandfather only applies to manifests without a verdict; state is not accepted', { field: 'state' });
    const repository = parseRepository(body.repository);
    return { passed: await registry.as(request.access).grandfather(repository, requestFacts(request)) };
  });
}
