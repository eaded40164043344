/**
 * TypeBox schemas of GET /api/v1/repositories/{name}/manifests/{digest}/history (history.ts):
 * an image's whole history, oldest first. Schema-only: the CLI and the portal import them as
 * types (docs/architecture.md "Wire types"). Builder: src/registry/history.ts.
 */
import { Type } from 'typebox';

export const HistoryKind = Type.Union([
  Type.Literal('pushed'), Type.Literal('tagged'), Type.Literal('tag-moved'), Type.Literal('tag-deleted'), Type.Literal('deleted'), Type.Literal('restored'), Type.Literal('retention'),
  Type.Literal('scanned'), Type.Literal('scan-failed'), Type.Literal('evaluated'), Type.Literal('verdict'), Type.Literal('violation'), Type.Literal('referrer'), Type.Literal('other'),
]);

export const ReferrerScheme = Type.Union([
  Type.Literal('cosign'), Type.Literal('notation'), Type.Literal('sigstore-bundle'), Type.Literal('attestation'), Type.Literal('vex'), Type.Literal('report'), Type.Literal('sbom'), Type.Literal('other'),
]);

/** One event. Fields past `summary` are present where the kind has them. */
export const HistoryEvent = Type.Object({
  id: Type.String({ description: "the audit entry's id when source is audit; otherwise a stable id of the store's row (scan:<job>, evaluation:..., referrer:<digest>)" }),
  at: Type.String({ description: 'ISO-8601 UTC' }),
  kind: HistoryKind,
  source: Type.Union([Type.Literal('audit'), Type.Literal('store')], { description: 'audit: an entry of the tamper-evident audit log; store: what the stores hold now (scan jobs, the newest evaluation, referrers)' }),
  actor: Type.Optional(Type.String({ description: 'a user, scanner:<name>, policy:<name>, system, retention, gc' })),
  summary: Type.String({ description: 'one sentence for people' }),
  tags: Type.Optional(Type.Array(Type.String())),
  tag: Type.Optional(Type.String()),
  digest: Type.Optional(Type.String({ description: 'tag-moved: the manifest the tag went to' })),
  scanner: Type.Optional(Type.String()),
  counts: Type.Optional(Type.Record(Type.String(), Type.Integer(), { description: 'findings per severity' })),
  verdict: Type.Optional(Type.Object({ from: Type.Union([Type.String(), Type.Null()]), to: Type.String() })),
  policy: Type.Optional(Type.Object({ name: Type.String(), version: Type.Integer({ description: 'the version of the release policy that decided' }) })),
  decision: Type.Optional(Type.Object({
    failed: Type.Array(Type.String(), { description: 'rules that failed' }),
    pending: Type.Array(Type.String(), { description: 'rules that could not be decided (they hold the image)' }),
    exceptions: Type.Array(Type.String(), { description: 'ids of the exceptions used in the deciding evaluation' }),
  })),
  exceptionsUsed: Type.Optional(Type.Array(Type.Object({
    id: Type.String(),
    vulnerability: Type.String(),
    reason: Type.String(),
    expiresAt: Type.String(),
    status: Type.String({ description: 'now: pending, active or revoked' }),
  }), { description: "the decision's exceptions, described; for callers who may read why held (configure, or quarantine read)" })),
  rules: Type.Optional(Type.Array(Type.Object({ rule: Type.String(), passed: Type.Boolean(), pending: Type.Optional(Type.Boolean()), reason: Type.String() }))),
  referrer: Type.Optional(Type.Object({
    digest: Type.String(),
    artifactType: Type.Optional(Type.String()),
    scheme: ReferrerScheme,
    verified: Type.Boolean({ description: 'the newest evaluation verified it (signatures, attestations)' }),
    identity: Type.Optional(Type.String({ description: 'who signed it, as verified' })),
  })),
});

export const HistoryQuery = Type.Object({
  n: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, description: 'events per page (default 100)' })),
  cursor: Type.Optional(Type.String({ maxLength: 400, description: "the previous page's next, as it was" })),
});

export const HistoryParams = Type.Object({ name: Type.String({ maxLength: 256 }), digest: Type.String({ maxLength: 200 }) });

/** The history page: the manifest, its events oldest first, `next` when more follow. */
export const ManifestHistory = Type.Object({
  repository: Type.String(),
  digest: Type.String(),
  mediaType: Type.String(),
  createdAt: Type.String(),
  events: Type.Array(HistoryEvent),
  next: Type.Optional(Type.String({ description: 'pass as cursor for the next page' })),
});
