/**
 * GET /api/v1/audit: the audit log, newest first (`audit_read`: Owner, Contributor, Reader).
 * Filters: `action` (exact, e.g. verdict.change), `target` (prefix, e.g. `helloworld@sha256:`),
 * `actor`; paging with `n` (<= 1000, default 100) and `last` (the previous page's last id;
 * the response's `next` is that value when more entries the caller may see follow). Callers
 * without `configure` see `verdict.change` entries only of repositories where they may read
 * held content; pages and `next` are made of shown entries only (src/registry/quarantine-views.ts).
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Services } from '../services.ts';
import type { AuditEntry } from '../registry/index.ts';
import { declareRoutes, serve } from '../http/route-table.ts';

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
  getAudit: { method: 'GET', url: '/api/v1/audit', api: 'api', access: { kind: 'registry', action: 'audit_read' }, tags: ['audit'], summary: 'List audit entries, newest first', schema: { querystring: Query } },
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
}
