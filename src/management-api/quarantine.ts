/**
 * /api/v1/quarantine: operating the gate (decisions.md "Turning the gate on safely").
 *
 * - GET  /api/v1/quarantine/preflight  (configure) what enabling would hold: counts by verdict
 *   and the manifests that are not Passed, oldest first.
 * - POST /api/v1/quarantine/rescan     (configure) raises `quarantine` events (lifecycle
 *   rescanRequested) for every manifest without a verdict (or with the given states).
 * - POST /api/v1/quarantine/grandfather (configure) marks every manifest without a verdict
 *   `Passed`, each audited as a verdict change whose details say it was a bulk grandfather.
 * - GET  /api/v1/quarantine/queue      (authenticated) manifests by verdict, oldest first;
 *   default: the held ones (no verdict, Quarantined, Failed). Rows are limited to repositories
 *   where the caller has quarantine read, unless it holds `configure` (an admin needs the list
 *   to decide; names and digests are not content). For such callers the `next` cursor points
 *   at the last row returned, never at a row they may not see (readablePage).
 * Bulk operations work in pages of 200, each page in one transaction.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import type { Services } from '../services.ts';
import type { Digest } from '../oci/digest.ts';
import { registryError } from '../errors/registry-error.ts';
import { requestFacts } from '../http/request-context.ts';
import { isValidRepositoryName } from '../oci/name.ts';
import { readPolicy } from '../quarantine/policy.ts';
import { changeVerdict } from '../quarantine/verdict-change.ts';
import { isQuarantineState, type ManifestVerdictRow, type QuarantineState } from '../quarantine/verdicts.ts';

type StateFilter = QuarantineState | 'absent';
const HELD: StateFilter[] = ['absent', 'Quarantined', 'Failed'];
const BATCH = 200;
/** Queue pages for callers without `configure` are filtered after reading (readablePage). */
const QUEUE_SCAN_PAGE = 1000;
const QUEUE_SCAN_LIMIT = 20_000;

const ListQuery = Type.Object({
  state: Type.Optional(Type.String({ maxLength: 100, description: 'comma-separated: absent, Quarantined, Failed, Passed' })),
  repository: Type.Optional(Type.String({ maxLength: 255 })),
  last: Type.Optional(Type.String({ maxLength: 2000 })),
  n: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});
const BulkBody = Type.Object(
  {
    repository: Type.Optional(Type.String({ maxLength: 255 })),
    state: Type.Optional(Type.String({ maxLength: 100, description: 'rescan only; default absent' })),
  },
  { additionalProperties: false },
);

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

export function rowJson(r: ManifestVerdictRow, tags?: string[]) {
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

export function registerQuarantineRoutes(app: FastifyInstance, services: Services) {
  const { store } = services;
  const configure = { kind: 'registry', action: 'configure' } as const;
  const tags = ['quarantine'];

  /**
   * A queue page for a caller without `configure`: only rows of repositories where it may read
   * held content, and a `next` cursor that points at the last row RETURNED. The store's cursor
   * names its last row (createdAt, repository, digest), so handing out the cursor of a page
   * whose last row was filtered out would reveal a held manifest the caller may not see. Pages
   * are filled from as many store pages as it takes, up to QUEUE_SCAN_LIMIT rows per request.
   */
  async function readablePage(request: FastifyRequest, base: { states: StateFilter[]; repository?: string }, n: number, last: string | undefined) {
    const rows: ManifestVerdictRow[] = [];
    // Where the last returned row sits: the cursor its store page started at, and its index there.
    let lastAt: { cursor: string | undefined; index: number } | undefined;
    let cursor = last;
    if (request.access.principal.kind === 'anonymous') return { rows };
    for (let scanned = 0; scanned < QUEUE_SCAN_LIMIT; ) {
      const page = await store.verdicts.listManifests({ ...base, n: QUEUE_SCAN_PAGE, ...(cursor ? { last: cursor } : {}) });
      scanned += page.rows.length;
      for (let i = 0; i < page.rows.length; i++) {
        const r = page.rows[i]!;
        if (!services.gate.readsHeld(request.access, r.repository)) continue;
        if (rows.length === n) return { rows, next: await cursorAt(base, lastAt!) };
        rows.push(r);
        lastAt = { cursor, index: i };
      }
      if (!page.next) return { rows };
      cursor = page.next;
    }
    // Scan limit reached: continue after the last returned row (or stop when none was found).
    return lastAt ? { rows, next: await cursorAt(base, lastAt) } : { rows };
  }

  /** The store cursor just after row `index` of the page that starts at `at.cursor`. */
  async function cursorAt(base: { states: StateFilter[]; repository?: string }, at: { cursor: string | undefined; index: number }) {
    const page = await store.verdicts.listManifests({ ...base, n: at.index + 1, ...(at.cursor ? { last: at.cursor } : {}) });
    return page.next;
  }

  const tagNames = async (r: ManifestVerdictRow) => (await store.tags.list(r.repository, { digest: r.digest })).map((t) => t.name);

  /** Calls fn for every matching row, page by page, each page in one transaction. */
  async function forEachRow(states: StateFilter[], repository: string | undefined, fn: (tx: Parameters<Parameters<typeof store.transaction>[0]>[0], row: ManifestVerdictRow) => Promise<void>) {
    let count = 0;
    let last: string | undefined;
    for (;;) {
      const { rows, next } = await store.verdicts.listManifests({ states, n: BATCH, ...(repository ? { repository } : {}), ...(last ? { last } : {}) });
      if (rows.length > 0) {
        await store.transaction(async (tx) => {
          for (const row of rows) await fn(tx, row);
        });
      }
      count += rows.length;
      if (!next) return count;
      last = next;
    }
  }

  app.get('/api/v1/quarantine/preflight', { config: { access: configure }, schema: { tags, summary: 'What enabling the policy would hold', querystring: ListQuery } }, async (request) => {
    const q = request.query as Static<typeof ListQuery>;
    const repository = parseRepository(q.repository);
    const counts = await store.verdicts.counts();
    const { rows, next } = await store.verdicts.listManifests({ states: HELD, n: q.n ?? 100, ...(repository ? { repository } : {}), ...(q.last ? { last: q.last } : {}) });
    const manifests = [];
    for (const r of rows) manifests.push(rowJson(r, await tagNames(r)));
    return {
      policy: (await readPolicy(store.settings)).status,
      wouldHold: counts.absent + counts.Quarantined + counts.Failed,
      counts,
      manifests,
      ...(next ? { next } : {}),
    };
  });

  app.get('/api/v1/quarantine/queue', { config: { access: { kind: 'authenticated' } }, schema: { tags, summary: 'Manifests by verdict, oldest first (default: held)', querystring: ListQuery } }, async (request) => {
    const q = request.query as Static<typeof ListQuery>;
    const states = parseStates(q.state, HELD);
    const repository = parseRepository(q.repository);
    const base = { states, ...(repository ? { repository } : {}) };
    const { rows, next } = request.access.canRegistry('configure')
      ? await store.verdicts.listManifests({ ...base, n: q.n ?? 100, ...(q.last ? { last: q.last } : {}) })
      : await readablePage(request, base, q.n ?? 100, q.last);
    const manifests = [];
    for (const r of rows) manifests.push(rowJson(r, await tagNames(r)));
    return { manifests, ...(next ? { next } : {}) };
  });

  app.post('/api/v1/quarantine/rescan', { config: { access: configure }, bodyLimit: 4096, schema: { tags, summary: 'Raise quarantine events for manifests without a verdict' } }, async (request: FastifyRequest) => {
    const body = bulkBody(request.body);
    const states = parseStates(body.state, ['absent']);
    const repository = parseRepository(body.repository);
    const facts = requestFacts(request);
    const requested = await forEachRow(states, repository, async (tx, row) => {
      const tag = (await tx.tags.list(row.repository, { digest: row.digest, n: 1 }))[0]?.name;
      await services.lifecycle.rescanRequested(tx, {
        repository: row.repository,
        digest: row.digest as Digest,
        mediaType: row.mediaType,
        size: row.size,
        ...(tag !== undefined ? { tag } : {}),
        created: false,
        request: facts,
      });
    });
    await store.audit.append({ actor: facts.actor, action: 'quarantine.rescan', target: repository ?? '*', details: { states, requested }, requestId: request.id });
    return { requested };
  });

  app.post('/api/v1/quarantine/grandfather', { config: { access: configure }, bodyLimit: 4096, schema: { tags, summary: 'Mark every manifest without a verdict Passed' } }, async (request: FastifyRequest) => {
    const body = bulkBody(request.body);
    if (body.state !== undefined) throw registryError('BAD_REQUEST', 'grandfather only applies to manifests without a verdict; state is not accepted', { field: 'state' });
    const repository = parseRepository(body.repository);
    const facts = requestFacts(request);
    const note = `grandfathered: marked Passed in bulk without a scan by ${facts.actor || 'anonymous'} (POST /api/v1/quarantine/grandfather)`;
    const passed = await forEachRow(['absent'], repository, async (tx, row) => {
      const manifest = await tx.manifests.get(row.repository, row.digest);
      if (!manifest) return;
      await changeVerdict(tx, services.lifecycle, { manifest, state: 'Passed', note, request: facts });
    });
    return { passed };
  });
}
