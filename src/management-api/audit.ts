/**
 * GET /api/v1/audit: the audit log, newest first (`audit_read`: Owner, Contributor, Reader).
 * Filters: `action` (exact, e.g. verdict.change), `target` (prefix, e.g. `helloworld@sha256:`),
 * `actor`; paging with `n` (<= 1000, default 100) and `last` (the previous page's last id;
 * the response's `next` is that value when more entries follow). Callers without `configure`
 * see `verdict.change` entries only of repositories where they may read held content (mayRead).
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import type { Services } from '../services.ts';
import type { AuditEntry } from '../metadata/metadata-store.ts';
import type { AccessContext } from '../access/actions.ts';
import type { Gate } from '../quarantine/gate.ts';

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

/**
 * Whether the caller may see an entry. A `verdict.change` entry names a manifest (target
 * `<repository>@<digest>`) and its verdict details, held ones included, so without `configure`
 * (which sees the whole queue anyway) it is shown only where the caller may read held content:
 * a Reader (audit_read, pull only) must not learn held manifests from the log.
 */
function mayRead(gate: Gate, access: AccessContext, e: AuditEntry): boolean {
  if (e.action !== 'verdict.change' || access.canRegistry('configure')) return true;
  const at = e.target.lastIndexOf('@');
  return at > 0 && gate.readsHeld(access, e.target.slice(0, at));
}

export function registerAuditRoutes(app: FastifyInstance, services: Services) {
  app.get(
    '/api/v1/audit',
    { config: { access: { kind: 'registry', action: 'audit_read' } }, schema: { tags: ['audit'], summary: 'List audit entries, newest first', querystring: Query } },
    async (request) => {
      const q = request.query as Static<typeof Query>;
      const n = q.n ?? 100;
      const entries = await services.store.audit.list({
        n: n + 1,
        ...(q.last ? { last: q.last } : {}),
        ...(q.action ? { action: q.action } : {}),
        ...(q.target ? { targetPrefix: q.target } : {}),
        ...(q.actor ? { actor: q.actor } : {}),
      });
      const page = entries.slice(0, n);
      // `next` stays the last entry read (an id says nothing), so a page may hold fewer than n.
      const shown = page.filter((e) => mayRead(services.gate, request.access, e));
      return { entries: shown.map(auditJson), ...(entries.length > n ? { next: page.at(-1)!.id } : {}) };
    },
  );
}
