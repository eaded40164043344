/**
 * GET /api/v1/audit/verify and /api/v1/audit/export (Owner: `admin`): the hash chain checked,
 * and the log as JSON lines with the chain fields, for a SIEM (docs/operations.md "Audit chain").
 *
 * GET /api/v1/audit: the audit log, newest first (`audit_read`: Owner, Contributor, Reader).
 * Filters: `action` (exact, e.g. verdict.change), `target` (prefix, e.g. `helloworld@sha256:`),
 * `actor`; paging with `n` (<= 1000, default 100) and `last` (the previous page's last id;
 * the response's `next` is that value when more entries the caller may see follow). Callers
 * without `configure` see `verdict.change` entries only of repositories where they may read
 * held content; pages and `next` are made of shown entries only (src/registry/quarantine-views.ts).
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Services } from '../services.ts';
import type { AuditEntry, ExportLine } from '../registry/index.ts';
import { registryError } from '../errors/index.ts';
import { declareRoutes, serve } from '../http/route-table.ts';
import { AuditExportQuery, AuditPage, AuditVerifyResult } from './audit-schemas.ts';

/** A date (UTC midnight) or a timestamp that says its zone: a bare local time would mean a different instant per host. */
const SINCE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

export function parseSince(since: string | undefined): Date | undefined {
  if (since === undefined) return undefined;
  const at = SINCE.test(since) ? new Date(since) : new Date(Number.NaN);
  if (Number.isNaN(at.getTime())) throw registryError('BAD_REQUEST', 'since must be a date (2026-01-31) or a timestamp with a zone (2026-01-31T12:00:00Z)', { field: 'since' });
  return at;
}

async function* jsonLines(lines: AsyncIterable<ExportLine>): AsyncGenerator<string> {
  for await (const line of lines) yield `${JSON.stringify(line)}\n`;
}

const Query = Type.Object({
  action: Type.Optional(Type.String({ maxLength: 200 })),
  target: Type.Optional(Type.String({ maxLength: 1000 })),
  actor: Type.Optional(Type.String({ maxLength: 300 })),
  last: Type.Optional(Type.String({ maxLength: 100 })),
  n: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});

export const auditJson = (e: AuditEntry) => ({
  id: e.id,
  at: e.at.toISOString(),
  actor: e.actor,
  action: e.action,
  target: e.target,
  before: e.before ?? null,
  after: e.after ?? null,
  details: e.details ?? null,
  requestId: e.requestId ?? null,
});

/** The routes of this file (the route table: src/http/route-table.ts). */
export const auditRoutes = declareRoutes({
  getAudit: { method: 'GET', url: '/api/v1/audit', api: 'api', access: { kind: 'registry', action: 'audit_read' }, tags: ['audit'], summary: 'List audit entries, newest first', schema: { querystring: Query, response: { 200: AuditPage } } },
  verifyAudit: { method: 'GET', url: '/api/v1/audit/verify', api: 'api', access: { kind: 'registry', action: 'admin' }, tags: ['audit'], summary: "Check the audit log's hash chain: ok, or the first entry that breaks it", schema: { response: { 200: AuditVerifyResult } } },
  exportAudit: { method: 'GET', url: '/api/v1/audit/export', api: 'api', access: { kind: 'registry', action: 'admin' }, tags: ['audit'], summary: 'Export the audit log as JSON lines with its hash chain, oldest first (for a SIEM)', schema: { querystring: AuditExportQuery } },
});

export function registerAuditRoutes(app: FastifyInstance, services: Services) {
  serve(app, auditRoutes.getAudit, async (request) => {
      const q = request.query;
      // Which entries the caller may see, and a `next` taken only from those: the registry service.
      const { entries, next } = await services.registry.as(request.access).audit({
        n: q.n ?? 100,
        ...(q.last ? { last: q.last } : {}),
        ...(q.action ? { action: q.action } : {}),
        ...(q.target ? { targetPrefix: q.target } : {}),
        ...(q.actor ? { actor: q.actor } : {}),
      });
      return { entries: entries.map(auditJson), ...(next ? { next } : {}) };
    });

  serve(app, auditRoutes.verifyAudit, async (request) => services.registry.as(request.access).verifyAudit());

  serve(app, auditRoutes.exportAudit, async (request, reply) => {
    const since = parseSince(request.query.since);
    // Errors before the first byte (bad since, DENIED) answer in the registry's format; the
    // lines then stream page by page, so an export of any size holds one page in memory.
    const lines = await services.registry.as(request.access).exportAudit(since);
    return reply.type('application/x-ndjson; charset=utf-8').send(Readable.from(jsonLines(lines)));
  });
}
