/**
 * An image's whole history (GET /api/v1/repositories/{name}/manifests/{digest}/history): one
 * time-ordered list of what happened to one manifest, for a caller who may see it.
 *
 * Visibility first, as everywhere in this service: the repository must be visible, the
 * manifest must exist, and the gate must let this caller see it. A held manifest is, for a
 * caller without quarantine read, the same MANIFEST_UNKNOWN as a digest that is not there
 * (existence after visibility: no counts, no times, nothing read before the check).
 *
 * Sources, in this order of trust:
 * - the audit log (tamper-evident, src/metadata/audit-chain.ts), every entry whose target is
 *   exactly `<repository>@<digest>` (indexed, migration 018): pushes and tags taken, tags moved
 *   away and deleted, deletes and restores, verdict changes (with the deciding policy version,
 *   the failed rules and the exceptions used, `VerdictDecision`), changed scan results, policy
 *   violations of a released image;
 * - the stores, for what the log does not keep: finished scan jobs (scanner, counts), the
 *   newest release-policy evaluation (every rule with its reason), the signatures and
 *   attestations attached (referrers the caller may see, cosign's `.sig`/`.att` tags) with the
 *   identity the newest evaluation verified for each, and, for a manifest pushed before pushes
 *   were audited, its creation time. Each event says which source it came from.
 *
 * The list of one image is bounded (HISTORY_AUDIT_LIMIT entries, SCAN_LIMIT jobs,
 * REFERRER_LIMIT referrers), built whole, ordered by (time, kind rank, id), and paged with an
 * opaque cursor naming the last event returned: only ever an event this caller was shown.
 *
 * The newest evaluation's per-rule reasons are what "why held" shows (finding ids, packages,
 * key fingerprints), so they follow its rule: only callers who see held metadata of the
 * repository get them; everyone else who may see the image gets the policy, its version and
 * the names of the rules that failed.
 */
import type { AuditEntry, ManifestHead, ManifestRecord } from '../metadata/metadata-store.ts';
import type { ScanJob } from '../scan/job-store.ts';
import type { EvaluationRecord } from '../release-policy/policy-store.ts';
import type { Digest } from '../oci/index.ts';
import { registryError } from '../errors/index.ts';
import { missing, visibleRepository, type Ctx } from './context.ts';
import { SIGNATURE_ARTIFACT_TYPES } from './follow.ts';
import { seesHeldMetadata } from './quarantine-views.ts';
import type { HistoryEvent, HistoryKind, HistoryPage, HistoryQuery, ReferrerScheme } from './registry.ts';

const HISTORY_AUDIT_LIMIT = 5000;
const SCAN_LIMIT = 500;
const REFERRER_LIMIT = 500;
const EXCEPTION_LIMIT = 50;
const REPORT_TYPE = 'application/vnd.lazaret.vulnerability-report.v1+json';
const SBOM_TYPES = new Set(['application/vnd.cyclonedx+json', 'application/spdx+json']);

/** Ties at one millisecond read as cause before effect: the push, then what it started. */
const RANK: Record<HistoryKind, number> = {
  pushed: 0, tagged: 1, 'tag-moved': 2, referrer: 3, scanned: 4, 'scan-failed': 4, evaluated: 5, verdict: 6,
  violation: 7, 'tag-deleted': 8, retention: 9, deleted: 9, restored: 10, other: 11,
};

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export async function manifestHistory(ctx: Ctx, name: string, digest: Digest, query: HistoryQuery): Promise<HistoryPage> {
  await visibleRepository(ctx, name);
  const record = await ctx.store.manifests.get(name, digest);
  if (!record || (await ctx.gate.visibleManifests(ctx.access, name, [record])).length === 0) throw missing.acrManifest(name, digest);
  const after = query.cursor === undefined ? undefined : parseCursor(query.cursor);

  const audit = await auditOf(ctx, `${name}@${digest}`);
  const evaluation = await ctx.store.releaseEvaluations.get(name, digest);
  const events: HistoryEvent[] = audit.map(fromAudit);
  if (!audit.some((e) => e.action === 'manifest.push' && obj(e.after).created === true)) {
    // Pushed before pushes were audited: the store knows when, not who.
    events.push({ id: `pushed:${digest}`, at: record.createdAt, kind: 'pushed', source: 'store', summary: 'pushed (before pushes were audited: who is not recorded)' });
  }
  const auditedScans = new Set(audit.filter((e) => e.action === 'scan.change').map((e) => e.requestId));
  for (const job of await scansOf(ctx, name, digest)) if (!auditedScans.has(job.id)) events.push(fromScan(job));
  // The rules' reasons are "why held" (they name findings and packages): shown to the callers
  // why-held answers (configure, or quarantine read here), the rule names to everyone else.
  if (evaluation) events.push(fromEvaluation(evaluation, seesHeldMetadata(ctx, name)));
  events.push(...(await referrersOf(ctx, record, evaluation)));

  if (seesHeldMetadata(ctx, name)) await describeExceptions(ctx, events);
  events.sort(compare);
  const start = after ? events.findIndex((e) => compare(e, after) > 0) : 0;
  const rest = start === -1 ? [] : events.slice(start);
  const page = rest.slice(0, query.n);
  return { record, events: page, ...(rest.length > query.n ? { next: cursorOf(page.at(-1)!) } : {}) };
}

/**
 * The exceptions a decision used, by what they except and why (for the callers who may read
 * "why held": an exception names a finding of the image). At most EXCEPTION_LIMIT looked up.
 */
async function describeExceptions(ctx: Ctx, events: HistoryEvent[]): Promise<void> {
  const ids = [...new Set(events.flatMap((e) => e.decision?.exceptions ?? []))].slice(0, EXCEPTION_LIMIT);
  const found = new Map<string, NonNullable<HistoryEvent['exceptionsUsed']>[number]>();
  for (const id of ids) {
    const x = await ctx.store.policyExceptions.get(id);
    if (x) found.set(id, { id, vulnerability: x.vulnerability, reason: x.reason, expiresAt: x.expiresAt, status: x.status });
  }
  for (const e of events) {
    const used = (e.decision?.exceptions ?? []).flatMap((id) => (found.has(id) ? [found.get(id)!] : []));
    if (used.length) e.exceptionsUsed = used;
  }
}

function compare(a: Pick<HistoryEvent, 'at' | 'kind' | 'id'>, b: Pick<HistoryEvent, 'at' | 'kind' | 'id'>): number {
  return a.at.getTime() - b.at.getTime() || RANK[a.kind] - RANK[b.kind] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Opaque to callers: base64url of the last shown event's time, kind and id. */
function cursorOf(e: HistoryEvent): string {
  return Buffer.from(JSON.stringify([e.at.getTime(), e.kind, e.id])).toString('base64url');
}

function parseCursor(cursor: string): Pick<HistoryEvent, 'at' | 'kind' | 'id'> {
  try {
    const [at, kind, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'number' && typeof kind === 'string' && kind in RANK && typeof id === 'string') return { at: new Date(at), kind: kind as HistoryKind, id };
  } catch {
    // Falls through to the error below.
  }
  throw registryError('BAD_REQUEST', 'cursor is not a cursor this endpoint returned (pass the previous page\'s `next` as it is)', { field: 'cursor' });
}

async function auditOf(ctx: Ctx, target: string): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  let last: string | undefined;
  while (out.length < HISTORY_AUDIT_LIMIT) {
    const page = await ctx.store.audit.list({ target, n: 1000, ...(last ? { last } : {}) });
    out.push(...page);
    if (page.length < 1000) break;
    last = page.at(-1)!.id;
  }
  return out;
}

async function scansOf(ctx: Ctx, repository: string, digest: Digest): Promise<ScanJob[]> {
  return ctx.store.scanJobs.list({ repository, digest, states: ['succeeded', 'failed'], n: SCAN_LIMIT });
}

const countsText = (counts: Record<string, number>) => Object.entries(counts).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(', ') || 'no findings';

/** "release policy team-a v3" in notes written before decisions were recorded as data. */
const POLICY_NOTE = /release policy (\S+) v(\d+)/;

function fromAudit(e: AuditEntry): HistoryEvent {
  const base = { id: e.id, at: e.at, source: 'audit' as const, actor: e.actor };
  const before = obj(e.before);
  const after = obj(e.after);
  switch (e.action) {
    case 'manifest.push': {
      const tags = strings(after.tags);
      const created = after.created === true;
      return { ...base, kind: created ? 'pushed' : 'tagged', tags, summary: `${created ? 'pushed' : 'tagged'} by ${e.actor}${tags.length ? ` as ${tags.join(', ')}` : ' (by digest)'}` };
    }
    case 'tag.move':
      return { ...base, kind: 'tag-moved', tag: str(after.tag) ?? '', digest: str(after.digest) ?? '', summary: `tag ${str(after.tag)} moved to ${str(after.digest)} by ${e.actor}` };
    case 'tag.delete':
      return { ...base, kind: 'tag-deleted', tag: str(before.tag) ?? '', summary: `tag ${str(before.tag)} deleted by ${e.actor}` };
    case 'manifest.delete':
      return { ...base, kind: 'deleted', tags: strings(before.tags), summary: `deleted by ${e.actor}${after.recycled ? ' (to the recycle bin)' : ''}` };
    case 'recycle-bin.restore':
      return { ...base, kind: 'restored', tags: strings(obj(e.details).tags), summary: `restored from the recycle bin by ${e.actor}` };
    case 'retention.delete':
      return { ...base, kind: 'retention', summary: `deleted by retention rule ${str(obj(e.details).rule) ?? ''} (${str(obj(e.details).reason) ?? ''})` };
    case 'scan.change': {
      const counts = countsOf(after.counts);
      return { ...base, kind: 'scanned', scanner: e.actor.replace(/^scanner:/, ''), counts, summary: `scan results changed: ${countsText(counts)}` };
    }
    case 'verdict.change':
      return fromVerdict(e, base, before, after);
    case 'release-policy.violation': {
      const policy = { name: e.actor.replace(/^policy:/, ''), version: Number(after.version) || 0 };
      const failed = strings(after.failed);
      return { ...base, kind: 'violation', policy, decision: { failed, pending: [], exceptions: [] }, summary: `released image violates release policy ${policy.name} v${policy.version}: ${failed.join(', ')}` };
    }
    default:
      return { ...base, kind: 'other', summary: `${e.action} by ${e.actor}` };
  }
}

function fromVerdict(e: AuditEntry, base: Pick<HistoryEvent, 'id' | 'at' | 'source' | 'actor'>, before: Json, after: Json): HistoryEvent {
  const from = str(before.quarantineState) ?? null;
  const to = str(after.quarantineState) ?? '';
  const d = obj(after.decision);
  const noted = POLICY_NOTE.exec(typeof e.details === 'string' ? e.details : '');
  const policy = typeof d.policy === 'string' ? { name: d.policy, version: Number(d.version) || 0 } : noted ? { name: noted[1]!, version: Number(noted[2]) } : undefined;
  const decision = typeof d.policy === 'string' ? { failed: strings(d.failed), pending: strings(d.pending), exceptions: strings(d.exceptions) } : undefined;
  const why = decision && (decision.failed.length || decision.pending.length) ? `: ${[...decision.failed.map((r) => `failed ${r}`), ...decision.pending.map((r) => `undecided ${r}`)].join(', ')}` : '';
  const by = policy ? `release policy ${policy.name} v${policy.version}` : e.actor;
  return { ...base, kind: 'verdict', verdict: { from, to }, ...(policy ? { policy } : {}), ...(decision ? { decision } : {}), summary: `${from ?? 'no verdict'} → ${to} by ${by}${why}` };
}

function countsOf(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(obj(v))) if (typeof n === 'number') out[k] = n;
  return out;
}

function fromScan(job: ScanJob): HistoryEvent {
  const at = job.finishedAt ?? job.updatedAt;
  const scanner = job.scanner ?? 'unknown';
  const base = { id: `scan:${job.id}`, at, source: 'store' as const, actor: `scanner:${scanner}`, scanner };
  if (job.state === 'failed') return { ...base, kind: 'scan-failed', summary: `scan failed (${job.reason}): ${job.statusMessage ?? 'no message'}` };
  const counts = job.summary?.counts ?? {};
  return { ...base, kind: 'scanned', counts, summary: `scanned by ${scanner} (${job.reason}): ${countsText(counts)}` };
}

function fromEvaluation(ev: EvaluationRecord, withReasons: boolean): HistoryEvent {
  const exceptions = new Set<string>();
  for (const r of ev.rules) for (const id of strings(r.evidence?.exceptions)) exceptions.add(id);
  const failed = ev.rules.filter((r) => !r.passed && !r.pending).map((r) => r.rule);
  const pending = ev.rules.filter((r) => r.pending).map((r) => r.rule);
  return {
    id: `evaluation:${ev.policy}:${ev.version}:${ev.evaluatedAt.getTime()}`,
    at: ev.evaluatedAt,
    kind: 'evaluated',
    source: 'store',
    actor: `policy:${ev.policy}`,
    policy: { name: ev.policy, version: ev.version },
    decision: { failed, pending, exceptions: [...exceptions] },
    ...(withReasons ? { rules: ev.rules.map((r) => ({ rule: r.rule, passed: r.passed, ...(r.pending ? { pending: true } : {}), reason: r.reason })) } : {}),
    summary: `latest evaluation by release policy ${ev.policy} v${ev.version}: ${ev.passed ? 'every rule passed' : [...failed.map((r) => `failed ${r}`), ...pending.map((r) => `undecided ${r}`)].join(', ')}${exceptions.size ? ` (exceptions used: ${[...exceptions].join(', ')})` : ''}`,
  };
}

function schemeOf(m: Pick<ManifestHead, 'artifactType' | 'configMediaType'>, viaTag?: 'sig' | 'att'): ReferrerScheme {
  const type = m.artifactType ?? m.configMediaType ?? '';
  if (viaTag === 'sig' || type === 'application/vnd.dev.cosign.artifact.sig.v1+json') return 'cosign';
  if (type === 'application/vnd.cncf.notary.signature') return 'notation';
  if (type.startsWith('application/vnd.dev.sigstore.bundle')) return 'sigstore-bundle';
  if (viaTag === 'att' || SIGNATURE_ARTIFACT_TYPES.has(type)) return 'attestation';
  if (type === 'application/vnd.openvex+json') return 'vex';
  if (type === REPORT_TYPE) return 'report';
  if (SBOM_TYPES.has(type)) return 'sbom';
  return 'other';
}

/** Which identity the newest evaluation verified for each signature or attestation artifact. */
function verifiedIdentities(ev: EvaluationRecord | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of ev?.rules ?? []) {
    const verified = r.evidence?.verified;
    if (!Array.isArray(verified)) continue;
    for (const v of verified.map(obj)) {
      const artifact = str(v.manifest) ?? str(v.attestation);
      if (artifact) out.set(artifact, str(v.identity) ?? str(v.builder) ?? 'verified');
    }
  }
  return out;
}

async function referrersOf(ctx: Ctx, subject: ManifestRecord, ev: EvaluationRecord | undefined): Promise<HistoryEvent[]> {
  const { repository, digest } = subject;
  const found: { m: ManifestRecord; viaTag?: 'sig' | 'att' }[] = (await ctx.store.manifests.referrers(repository, digest)).slice(0, REFERRER_LIMIT).map((m) => ({ m }));
  for (const suffix of ['sig', 'att'] as const) {
    const tag = await ctx.store.tags.get(repository, `${digest.replace(':', '-')}.${suffix}`);
    const m = tag && (await ctx.store.manifests.get(repository, tag.digest));
    if (m && !found.some((f) => f.m.digest === m.digest)) found.push({ m, viaTag: suffix });
  }
  // Referrers are manifests of their own: a held signature is hidden like any held manifest.
  const visible = new Set((await ctx.gate.visibleManifests(ctx.access, repository, found.map((f) => f.m))).map((m) => m.digest as string));
  const identities = verifiedIdentities(ev);
  return found.filter((f) => visible.has(f.m.digest)).map(({ m, viaTag }) => {
    const scheme = schemeOf(m, viaTag);
    const identity = identities.get(m.digest);
    const what = { cosign: 'cosign signature', notation: 'Notation signature', 'sigstore-bundle': 'Sigstore bundle', attestation: 'attestation', vex: 'VEX document', report: 'vulnerability report', sbom: 'SBOM', other: 'referrer' }[scheme];
    return {
      id: `referrer:${m.digest}`,
      at: m.createdAt,
      kind: 'referrer' as const,
      source: 'store' as const,
      referrer: { digest: m.digest, ...(m.artifactType ? { artifactType: m.artifactType } : {}), scheme, verified: identity !== undefined, ...(identity ? { identity } : {}) },
      summary: `${what} attached (${m.digest.slice(0, 19)})${identity ? `, verified: ${identity}` : ''}`,
    };
  });
}
