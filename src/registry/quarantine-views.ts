/**
 * Views of held METADATA and the bulk verdict operations (/api/v1 quarantine and audit).
 *
 * Who sees held metadata (digests, tags, verdicts of held manifests): principals with quarantine
 * read on the repository, and principals with `configure` (Owner, Contributor: they run the
 * scanners and the webhooks, as on ACR) in the queue, preflight and webhook payloads. The rule is
 * `seesHeldMetadata`; nothing else in the registry shows held metadata.
 */
import type { Digest } from '../oci/index.ts';
import type { AuditEntry } from '../metadata/metadata-store.ts';
import type { RequestFacts } from '../events/index.ts';
import type { StoreRoles } from '../persistence/index.ts';
import type { ManifestVerdictRow } from '../quarantine/verdicts.ts';
import { registryError } from '../errors/index.ts';
import { applyVerdict } from './writes.ts';
import { followedSubjectIn } from './follow.ts';
import type { AuditQuery, QueueQuery, QueueRow, StateFilter } from './registry.ts';
import type { Ctx } from './context.ts';
import { collectPage } from './paging.ts';

const HELD: StateFilter[] = ['absent', 'Quarantined', 'Failed'];
const BATCH = 200;
/** Queue pages for callers without `configure`, and `waiting` pages, are filtered after reading (filteredPage). */
const QUEUE_SCAN_PAGE = 1000;
const QUEUE_SCAN_LIMIT = 20_000;
/** Audit rows one request reads at most while filling a page for a caller who may not see some. */
const AUDIT_SCAN_LIMIT = 50_000;

export function seesHeldMetadata(ctx: Ctx, repository: string): boolean {
  return ctx.access.canRegistry('configure') || ctx.gate.readsHeld(ctx.access, repository);
}

/**
 * The digest a tag names, for a caller who sees held metadata of the repository (how the scan
 * jobs' list finds a tag's jobs); undefined for any other caller, as for a missing tag.
 */
export async function heldMetadataTagDigest(ctx: Ctx, repository: string, tag: string): Promise<Digest | undefined> {
  return seesHeldMetadata(ctx, repository) ? (await ctx.store.tags.get(repository, tag))?.digest : undefined;
}

/**
 * A manual scan request (POST /api/v1/scans; its route has checked configure or quarantine
 * write). Resolves a tag (MANIFEST_UNKNOWN when absent), then in one transaction checks that
 * the manifest exists (MANIFEST_UNKNOWN) and runs `queue`, the scan module's job and audit, in
 * that transaction.
 */
export async function requestScan<T>(ctx: Ctx, repository: string, target: { digest: Digest } | { tag: string }, queue: (tx: StoreRoles, digest: Digest) => Promise<T>): Promise<T> {
  let digest: Digest | undefined;
  if ('digest' in target) digest = target.digest;
  else {
    digest = (await ctx.store.tags.get(repository, target.tag))?.digest;
    if (!digest) throw registryError('MANIFEST_UNKNOWN', `no tag ${target.tag} in ${repository}`);
  }
  const found = digest;
  return ctx.store.transaction(async (tx) => {
    if (!(await tx.manifests.getHead(repository, found))) throw registryError('MANIFEST_UNKNOWN', `no manifest ${found} in ${repository}`);
    return queue(tx, found);
  });
}

/**
 * Whether a manifest in this state waits for a verdict: Quarantined always, no verdict only
 * where the gate governs the repository now. The queue's rows and the summary's counts both
 * ask this, so the portal and the CLI never decide it themselves.
 */
export function waitsForVerdict(state: StateFilter, gated: boolean): boolean {
  return state === 'Quarantined' || (state === 'absent' && gated);
}

/** The queue row's `waiting` (the gate's answer per repository is cached by the policy cache). */
const waits = async (ctx: Ctx, r: ManifestVerdictRow) => {
  const state = r.state ?? 'absent';
  return waitsForVerdict(state, state === 'absent' && (await ctx.gate.gates(r.repository)));
};

const withTags = async (ctx: Ctx, rows: ManifestVerdictRow[]): Promise<QueueRow[]> => {
  const out: QueueRow[] = [];
  for (const r of rows) {
    out.push({ ...r, tags: (await ctx.store.tags.list(r.repository, { digest: r.digest as Digest })).map((t) => t.name), waiting: await waits(ctx, r) });
  }
  return out;
};

/** Rows in these states can wait for a verdict; `waiting` filters them and leaves the others. */
const MAY_WAIT: StateFilter[] = ['absent', 'Quarantined'];
const leftByWaiting = async (ctx: Ctx, r: ManifestVerdictRow) => !MAY_WAIT.includes(r.state ?? 'absent') || (await waits(ctx, r));

type QueueBase = { states: StateFilter[]; repository?: string; repositoryContains?: string };

export async function queue(ctx: Ctx, query: QueueQuery): Promise<{ rows: QueueRow[]; next?: string }> {
  const base: QueueBase = { states: query.states, ...(query.repository ? { repository: query.repository } : {}), ...(query.repositoryContains ? { repositoryContains: query.repositoryContains } : {}) };
  const configure = ctx.access.canRegistry('configure');
  // A page for one who may see every row, of every state asked, is the store's page as it is.
  if (configure && !query.waiting) {
    const { rows, next } = await ctx.store.verdicts.listManifests({ ...base, n: query.n, ...(query.last ? { last: query.last } : {}) });
    return { rows: await withTags(ctx, rows), ...(next ? { next } : {}) };
  }
  // Anyone else without a principal may read held metadata nowhere (the same empty page as for nothing held).
  if (!configure && ctx.access.principal.kind === 'anonymous') return { rows: [] };
  const keep = async (r: ManifestVerdictRow) => (configure || seesHeldMetadata(ctx, r.repository)) && (!query.waiting || (await leftByWaiting(ctx, r)));
  const { rows, next } = await filteredPage(ctx, base, query.n, query.last, keep);
  return { rows: await withTags(ctx, rows), ...(next ? { next } : {}) };
}

/**
 * A queue page of the rows `keep` accepts (those of repositories where the caller may read held
 * content, those waiting for a verdict), with a `next` cursor that points at the last row
 * RETURNED. The store's cursor names its last row (createdAt, repository, digest), so handing
 * out the cursor of a page whose last row was filtered out would reveal a manifest the caller
 * may not see (or one the filter left out). Pages are filled from as many store pages as it
 * takes, up to QUEUE_SCAN_LIMIT rows per request.
 */
async function filteredPage(ctx: Ctx, base: QueueBase, n: number, last: string | undefined, keep: (r: ManifestVerdictRow) => Promise<boolean>) {
  const rows: ManifestVerdictRow[] = [];
  // Where the last returned row sits: the cursor its store page started at, and its index there.
  let lastAt: { cursor: string | undefined; index: number } | undefined;
  let cursor = last;
  for (let scanned = 0; scanned < QUEUE_SCAN_LIMIT; ) {
    const page = await ctx.store.verdicts.listManifests({ ...base, n: QUEUE_SCAN_PAGE, ...(cursor ? { last: cursor } : {}) });
    scanned += page.rows.length;
    for (let i = 0; i < page.rows.length; i++) {
      const r = page.rows[i]!;
      if (!(await keep(r))) continue;
      if (rows.length === n) return { rows, next: await cursorAt(ctx, base, lastAt!) };
      rows.push(r);
      lastAt = { cursor, index: i };
    }
    if (!page.next) return { rows };
    cursor = page.next;
  }
  // Scan limit reached: continue after the last returned row (or stop when none was found).
  return lastAt ? { rows, next: await cursorAt(ctx, base, lastAt) } : { rows };
}

/** The store cursor just after row `index` of the page that starts at `at.cursor`. */
async function cursorAt(ctx: Ctx, base: QueueBase, at: { cursor: string | undefined; index: number }) {
  const page = await ctx.store.verdicts.listManifests({ ...base, n: at.index + 1, ...(at.cursor ? { last: at.cursor } : {}) });
  return page.next;
}

export async function preflight(ctx: Ctx, query: Omit<QueueQuery, 'states'>) {
  if (!ctx.access.canRegistry('configure')) throw registryError('DENIED', 'preflight needs configure (Owner or Contributor)', { action: 'configure' });
  const counts = await ctx.store.verdicts.counts();
  const { rows, next } = await ctx.store.verdicts.listManifests({ states: HELD, n: query.n, ...(query.repository ? { repository: query.repository } : {}), ...(query.last ? { last: query.last } : {}) });
  return { counts, rows: await withTags(ctx, rows), ...(next ? { next } : {}) };
}

/** Calls fn for every matching row, page by page, each page in one transaction. */
async function forEachRow(ctx: Ctx, states: StateFilter[], repository: string | undefined, fn: (tx: StoreRoles, row: ManifestVerdictRow) => Promise<void>) {
  if (!ctx.access.canRegistry('configure')) throw registryError('DENIED', 'bulk quarantine operations need configure (Owner or Contributor)', { action: 'configure' });
  let count = 0;
  let last: string | undefined;
  for (;;) {
    const { rows, next } = await ctx.store.verdicts.listManifests({ states, n: BATCH, ...(repository ? { repository } : {}), ...(last ? { last } : {}) });
    if (rows.length > 0) {
      await ctx.store.transaction(async (tx) => {
        for (const row of rows) await fn(tx, row);
      });
    }
    count += rows.length;
    if (!next) return count;
    last = next;
  }
}

export async function rescan(ctx: Ctx, states: StateFilter[], repository: string | undefined, facts: RequestFacts): Promise<number> {
  const requested = await forEachRow(ctx, states, repository, async (tx, row) => {
    const tag = (await tx.tags.list(row.repository, { digest: row.digest as Digest, n: 1 }))[0]?.name;
    const follows = await followedSubjectIn(tx, row.repository, row.digest as Digest);
    await ctx.lifecycle.rescanRequested(tx, {
      repository: row.repository,
      digest: row.digest as Digest,
      mediaType: row.mediaType,
      size: row.size,
      ...(tag !== undefined ? { tag } : {}),
      created: false,
      ...(follows ? { follows } : {}),
      request: facts,
    });
  });
  await ctx.store.audit.append({ actor: facts.actor, action: 'quarantine.rescan', target: repository ?? '*', details: { states, requested }, requestId: facts.id });
  return requested;
}

export async function grandfather(ctx: Ctx, repository: string | undefined, facts: RequestFacts): Promise<number> {
  const note = `grandfathered: marked Passed in bulk without a scan by ${facts.actor || 'anonymous'} (POST /api/v1/quarantine/grandfather)`;
  return forEachRow(ctx, ['absent'], repository, async (tx, row) => {
    const manifest = await tx.manifests.get(row.repository, row.digest as Digest);
    if (!manifest) return;
    await applyVerdict(ctx, tx, manifest, { state: 'Passed', note }, facts);
  });
}

/**
 * Entries that name a manifest by digest (target `<repository>@<digest>`) and say what happened
 * to it: its verdict, its push and tags, its delete. Held manifests are named too, so they are
 * shown in the log only to callers who may see held metadata of that repository; anyone who
 * may see the image itself reads them in its history (history.ts).
 */
export const IMAGE_ACTIONS: ReadonlySet<string> = new Set(['verdict.change', 'manifest.push', 'tag.move', 'tag.delete', 'manifest.delete']);

/**
 * An image entry (IMAGE_ACTIONS) is shown only to callers who may see held metadata of that
 * repository. Pages are filled with shown entries and `next` is the last SHOWN entry's id,
 * present exactly when a shown entry follows (a Reader must not learn from the cursor, or from
 * `target=` prefix searches, that a hidden entry exists).
 */
export async function audit(ctx: Ctx, query: AuditQuery): Promise<{ entries: AuditEntry[]; next?: string }> {
  const mayRead = (e: AuditEntry) => {
    if (!IMAGE_ACTIONS.has(e.action)) return true;
    const at = e.target.lastIndexOf('@');
    return at > 0 && seesHeldMetadata(ctx, e.target.slice(0, at));
  };
  const filters = { ...(query.action ? { action: query.action } : {}), ...(query.targetPrefix ? { targetPrefix: query.targetPrefix } : {}), ...(query.actor ? { actor: query.actor } : {}) };
  const { items, more } = await collectPage<AuditEntry>(
    { n: query.n, ...(query.last ? { last: query.last } : {}) },
    (after, n) => ctx.store.audit.list({ ...filters, n, ...(after ? { last: after } : {}) }),
    async (batch) => batch.filter(mayRead),
    (e) => e.id,
    AUDIT_SCAN_LIMIT,
  );
  return { entries: items, ...(more ? { next: items.at(-1)!.id } : {}) };
}
