/**
 * TypeBox schemas of the audit chain's routes (audit.ts): GET /api/v1/audit/verify and the
 * query of /api/v1/audit/export. Schema-only: the CLI imports them as types
 * (docs/architecture.md "Wire types").
 */
import { Type } from 'typebox';

export const AuditChainHead = Type.Object({
  seq: Type.Integer(),
  id: Type.String(),
  hash: Type.String({ description: 'SHA-256 (hex) of the entry; record it outside the registry to notice a truncated tail later' }),
});

export const AuditChainBreak = Type.Object({
  id: Type.String({ description: 'the first entry that does not verify (for a deleted entry: the one after the gap)' }),
  seq: Type.Union([Type.Integer(), Type.Null()], { description: 'null for an entry with no place in the chain' }),
  problem: Type.Union([Type.Literal('hash-mismatch'), Type.Literal('link-mismatch'), Type.Literal('missing-entry'), Type.Literal('unchained')], {
    description: 'hash-mismatch: the entry was modified; link-mismatch: its prevHash is not the previous entry\'s hash; missing-entry: entries before it were deleted; unchained: written around the registry',
  }),
  message: Type.String(),
});

export const AuditVerifyResult = Type.Object({
  ok: Type.Boolean(),
  entries: Type.Integer({ description: 'entries that verified (all when ok; those before the break otherwise)' }),
  head: Type.Union([AuditChainHead, Type.Null()], { description: 'the last entry that verified; null for an empty log' }),
  broken: Type.Optional(AuditChainBreak),
});

export const AuditExportQuery = Type.Object({
  since: Type.Optional(Type.String({ maxLength: 40, description: 'a date (2026-01-31, UTC midnight) or a timestamp with a zone (2026-01-31T12:00:00Z): export from the first entry written at or after it' })),
});

/** One entry of GET /api/v1/audit (what was done, by whom, to what; before/after/details as recorded, null when none). */
export const AuditEntryView = Type.Object({
  id: Type.String(),
  at: Type.String({ description: 'ISO-8601 UTC' }),
  actor: Type.String({ description: 'the principal (or system)' }),
  action: Type.String({ description: 'a dotted verb: verdict.change, policy.change, user.create, ...' }),
  target: Type.String({ description: 'what was acted on: helloworld@sha256:..., user:alice, policy:quarantine' }),
  before: Type.Unknown(),
  after: Type.Unknown(),
  details: Type.Unknown(),
  requestId: Type.Union([Type.String(), Type.Null()]),
});

/** GET /api/v1/audit: a page, newest first; `next` is the last id when more entries the caller may see follow. */
export const AuditPage = Type.Object({ entries: Type.Array(AuditEntryView), next: Type.Optional(Type.String()) });
