/**
 * Evaluations as people read them (docs/release-policy.md "Why held", "Dry run"):
 *
 *   GET  /api/v1/quarantine/why-held?repository=&digest=|tag=     what holds an image, rule by rule
 *   POST /api/v1/release-policies:evaluate {document, repository?, n?}   dry run: what a policy would do
 *   POST /api/v1/release-policies/{name}/evaluate                 re-run a stored policy now (202)
 *
 * Why held names held manifests and their findings, so it follows the quarantine queue's rule:
 * callers with `configure`, or quarantine read on the repository. For anyone else every answer
 * is the same 404 as for a manifest that does not exist (same code, message and detail), so it
 * tells nothing about held content. The dry run reads every matching image: `configure`.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Services } from '../services.ts';
import { declareRoutes, serve } from '../http/route-table.ts';
import { parseDigest } from '../oci/index.ts';
import { isValidRepositoryName, isValidTag } from '../oci/index.ts';
import { registryError } from '../errors/index.ts';
import { documentOf } from './policy-changes.ts';
import { isValidPolicyPattern } from './patterns.ts';
import { dryRun, whyHeld } from './explain.ts';
import { DryRunResult, ReevaluationQueued, WhyHeldView } from './policy-schemas.ts';

const WhyQuery = Type.Object({ repository: Type.String({ maxLength: 256 }), digest: Type.Optional(Type.String({ maxLength: 200 })), tag: Type.Optional(Type.String({ maxLength: 128 })) });
const EvaluateBody = Type.Object({ document: Type.Optional(Type.Unknown()), repository: Type.Optional(Type.String({ maxLength: 256 })), n: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })) }, { additionalProperties: false });
const NameParams = Type.Object({ name: Type.String({ maxLength: 63 }) });

/** The routes of this file (the route table: src/http/route-table.ts). */
export const releaseEvaluationRoutes = declareRoutes({
  getQuarantineWhyHeld: { method: 'GET', url: '/api/v1/quarantine/why-held', api: 'api', access: { kind: 'authenticated' }, tags: ['quarantine'], summary: 'Why an image is held (or released): the deciding policy and each rule', schema: { querystring: WhyQuery, response: { 200: WhyHeldView } } },
  postReleasePoliciesEvaluate: { method: 'POST', url: '/api/v1/release-policies::evaluate', api: 'api', access: { kind: 'registry', action: 'configure' }, tags: ['release-policies'], summary: 'Dry run: what a policy would do to existing images (changes nothing)', bodyLimit: 512 * 1024, schema: { body: EvaluateBody, response: { 200: DryRunResult } } },
  postReleasePoliciesNameEvaluate: { method: 'POST', url: '/api/v1/release-policies/:name/evaluate', api: 'api', access: { kind: 'registry', action: 'configure' }, tags: ['release-policies'], summary: 'Re-evaluate the images a stored policy governs, now', schema: { params: NameParams, response: { 202: ReevaluationQueued } } },
});

export function registerEvaluationRoutes(app: FastifyInstance, services: Services) {
  const { store } = services;

  serve(app, releaseEvaluationRoutes.getQuarantineWhyHeld, async (request) => {
    const q = request.query;
    if (!isValidRepositoryName(q.repository)) throw registryError('NAME_INVALID', `invalid repository name: ${JSON.stringify(q.repository)}`, { field: 'repository' });
    if (q.digest === undefined && q.tag === undefined) throw registryError('BAD_REQUEST', 'digest or tag is required', { field: 'digest' });
    if (q.digest !== undefined && !parseDigest(q.digest)) throw registryError('DIGEST_INVALID', `invalid digest: ${JSON.stringify(q.digest)}`, { field: 'digest' });
    if (q.tag !== undefined && !isValidTag(q.tag)) throw registryError('TAG_INVALID', `invalid tag: ${JSON.stringify(q.tag)}`, { field: 'tag' });
    return whyHeld(services, request.access, q);
  });

  serve(app, releaseEvaluationRoutes.postReleasePoliciesEvaluate, async (request) => {
    const body = request.body;
    const { document } = await documentOf(body.document);
    if (body.repository !== undefined && !isValidPolicyPattern(body.repository)) throw registryError('BAD_REQUEST', 'repository must be a repository name or pattern', { field: 'repository' });
    return dryRun(services, document, request.access.principal.name, body);
  });

  serve(app, releaseEvaluationRoutes.postReleasePoliciesNameEvaluate, async (request, reply) => {
    const p = await store.releasePolicies.get(request.params.name);
    if (!p) throw registryError('NOT_FOUND', `release policy ${request.params.name} not found`);
    await services.releasePolicy.requestReevaluation(p.document.repositories, 'evaluation requested');
    reply.status(202);
    return { policy: p.name, version: p.version, status: 're-evaluation queued' };
  });
}
