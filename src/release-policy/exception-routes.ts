/**
 * /api/v1/policy-exceptions (docs/release-policy.md "Exceptions"; rules in ./exceptions.ts):
 *
 *   GET  /api/v1/policy-exceptions?status=pending,active,expired,revoked    newest first
 *   POST /api/v1/policy-exceptions {vulnerability, repository | digest | all, reason, expires, ticket?}
 *   POST /api/v1/policy-exceptions/{id}/approve     the second person (two-person rule)
 *   POST /api/v1/policy-exceptions/{id}/revoke
 *
 * A digest exception names an image, so it is listed only to callers who see held metadata of
 * its repository; pattern and registry-wide exceptions name no content and are listed to every
 * authenticated caller. Creating one never checks that the digest exists (that would tell).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Services } from '../services.ts';
import { declareRoutes, serve } from '../http/route-table.ts';
import { ExceptionList, ExceptionView } from './policy-schemas.ts';
import { registryError } from '../errors/index.ts';
import type { ExceptionStatus } from './policy-store.ts';
import { approveException, checkException, createException, exceptionView, exceptionWriteNeeded, mayWriteException, revokeException, type ExceptionInput } from './exceptions.ts';

const tags = ['release-policies'];
const authenticated = { access: { kind: 'authenticated' } } as const;
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
const ListQuery = Type.Object({ status: Type.Optional(Type.String({ maxLength: 100 })), n: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) });
const STATUSES = ['pending', 'active', 'expired', 'revoked'];

/** The routes of this file (the route table: src/http/route-table.ts). */
export const policyExceptionRoutes = declareRoutes({
  getPolicyExceptions: { method: 'GET', url: '/api/v1/policy-exceptions', api: 'api', access: authenticated.access, tags: tags, summary: 'Exceptions to findings, newest first', schema: { querystring: ListQuery, response: { 200: ExceptionList } } },
  postPolicyExceptions: { method: 'POST', url: '/api/v1/policy-exceptions', api: 'api', access: authenticated.access, tags: tags, summary: 'Except a vulnerability (audited; maybe pending a second approval)', bodyLimit: 8192, schema: { response: { 201: ExceptionView } } },
  postPolicyExceptionsIdApprove: { method: 'POST', url: '/api/v1/policy-exceptions/:id/approve', api: 'api', access: authenticated.access, tags: tags, summary: 'Approve a pending exception (not by its creator)', schema: { params: IdParams, response: { 200: ExceptionView } } },
  postPolicyExceptionsIdRevoke: { method: 'POST', url: '/api/v1/policy-exceptions/:id/revoke', api: 'api', access: authenticated.access, tags: tags, summary: 'Revoke an exception: it stops counting at once', schema: { params: IdParams, response: { 200: ExceptionView } } },
});

export function registerExceptionRoutes(app: FastifyInstance, services: Services) {
  const { store } = services;
  const actor = (request: FastifyRequest) => request.access.principal.name;
  // The change's transaction recorded the re-evaluation (./exceptions.ts): run it now.
  const changed = () => services.releasePolicy.reevaluationQueued();
  const writable = async (request: FastifyRequest, id: string) => {
    const e = await store.policyExceptions.get(id);
    const visible = e && (e.scope !== 'digest' || services.registry.as(request.access).seesHeldMetadata(e.repository!));
    if (!e || !visible) throw registryError('NOT_FOUND', `exception ${id} not found`);
    if (!mayWriteException(request.access, e)) throw registryError('DENIED', `changing exception ${id} ${exceptionWriteNeeded(e)}`, { action: 'quarantine_exception_write' });
    return e;
  };

  serve(app, policyExceptionRoutes.getPolicyExceptions, async (request) => {
    const q = request.query;
    const wanted = q.status ? q.status.split(',').map((s) => s.trim()) : STATUSES;
    for (const s of wanted) if (!STATUSES.includes(s)) throw registryError('BAD_REQUEST', `status must be one of ${STATUSES.join(', ')}`, { field: 'status' });
    const now = new Date();
    const view = services.registry.as(request.access);
    const rows = (await store.policyExceptions.list({ n: 5000 })).filter((e) => e.scope !== 'digest' || view.seesHeldMetadata(e.repository!)).map((e) => exceptionView(e, now));
    return { exceptions: rows.filter((e) => wanted.includes(e.status)).slice(0, q.n ?? 100) };
  });

  serve(app, policyExceptionRoutes.postPolicyExceptions, async (request, reply) => {
    const checked = checkException((request.body ?? {}) as ExceptionInput, new Date());
    if (!mayWriteException(request.access, checked)) throw registryError('DENIED', `creating this exception ${exceptionWriteNeeded(checked)}`, { action: 'quarantine_exception_write' });
    const record = await store.transaction((tx) => createException(tx, checked, { actor: actor(request), requestId: request.id }));
    if (record.status === 'active') changed();
    reply.status(201);
    return exceptionView(record);
  });

  serve(app, policyExceptionRoutes.postPolicyExceptionsIdApprove, async (request) => {
    const { id } = request.params;
    await writable(request, id);
    const record = await store.transaction((tx) => approveException(tx, id, { actor: actor(request), requestId: request.id, now: new Date() }));
    changed();
    return exceptionView(record);
  });

  serve(app, policyExceptionRoutes.postPolicyExceptionsIdRevoke, async (request) => {
    const { id } = request.params;
    await writable(request, id);
    const record = await store.transaction((tx) => revokeException(tx, id, { actor: actor(request), requestId: request.id, now: new Date() }));
    changed();
    return exceptionView(record);
  });
}

export type { ExceptionStatus };
