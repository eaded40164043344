/**
 * /api/v1/release-policies (docs/release-policy.md):
 *
 *   GET    /api/v1/release-policies                 every policy with its rendered rules (authenticated)
 *   GET    /api/v1/release-policies/{name}          one, with its document and the text as applied
 *   POST   /api/v1/release-policies                 apply {document, expectedVersion?}: create or replace (configure)
 *   PUT    /api/v1/release-policies/{name}          the same, the name in the path must be the document's
 *   DELETE /api/v1/release-policies/{name}          delete (configure)
 *   GET    /api/v1/release-policies/{name}/versions the history, newest first
 *   GET    /api/v1/release-policies/{name}/diff?from=&to=   unified diff of two versions (default: the last change)
 *   POST   /api/v1/release-policies/{name}/diff     {document}: what applying it would change
 *
 * Reading needs any authenticated caller, like the registry-wide policy: the rules say what an
 * image needs to be released, nothing about held content. `document` is the policy as YAML or
 * JSON text (what `lazaret policy apply -f` sends) or as a JSON object. A bad document is a 400
 * in the registry's error format whose message and `detail.field` name the field, and nothing
 * is stored.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import type { Services } from '../services.ts';
import { declareRoutes, serve } from '../http/route-table.ts';
import { registryError } from '../errors/index.ts';
import { applyPolicy, deletePolicy, diffOf, documentOf, warningsOf } from './policy-changes.ts';
import { policyView } from './views.ts';
import { AppliedReleasePolicy, ReleasePolicyDetail, ReleasePolicyDiff, ReleasePolicyList, ReleasePolicyVersions } from './policy-schemas.ts';
import { bumpPolicyGeneration } from '../quarantine/policy.ts';

const tags = ['release-policies'];
const read = { access: { kind: 'authenticated' } } as const;
const write = { access: { kind: 'registry', action: 'configure' } } as const;
const NameParams = Type.Object({ name: Type.String({ maxLength: 63 }) });
const ApplyBody = Type.Object({ document: Type.Optional(Type.Unknown()), expectedVersion: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false });
const DiffQuery = Type.Object({ from: Type.Optional(Type.Integer({ minimum: 0 })), to: Type.Optional(Type.Integer({ minimum: 1 })) });
const BODY_LIMIT = 512 * 1024;

/** The routes of this file (the route table: src/http/route-table.ts). */
export const releasePolicyRoutes = declareRoutes({
  getReleasePolicies: { method: 'GET', url: '/api/v1/release-policies', api: 'api', access: read.access, tags: tags, summary: 'Release policies with their rendered rules', schema: { response: { 200: ReleasePolicyList } } },
  getReleasePoliciesName: { method: 'GET', url: '/api/v1/release-policies/:name', api: 'api', access: read.access, tags: tags, summary: 'One release policy', schema: { params: NameParams, response: { 200: ReleasePolicyDetail } } },
  postReleasePolicies: { method: 'POST', url: '/api/v1/release-policies', api: 'api', access: write.access, tags: tags, summary: 'Apply a release policy (create or replace)', bodyLimit: BODY_LIMIT, schema: { body: ApplyBody, response: { 200: AppliedReleasePolicy, 201: AppliedReleasePolicy } } },
  putReleasePoliciesName: { method: 'PUT', url: '/api/v1/release-policies/:name', api: 'api', access: write.access, tags: tags, summary: 'Apply a release policy under its name', bodyLimit: BODY_LIMIT, schema: { params: NameParams, body: ApplyBody, response: { 200: AppliedReleasePolicy, 201: AppliedReleasePolicy } } },
  deleteReleasePoliciesName: { method: 'DELETE', url: '/api/v1/release-policies/:name', api: 'api', access: write.access, tags: tags, summary: 'Delete a release policy', schema: { params: NameParams } },
  getReleasePoliciesNameVersions: { method: 'GET', url: '/api/v1/release-policies/:name/versions', api: 'api', access: read.access, tags: tags, summary: "A release policy's history, newest first", schema: { params: NameParams, response: { 200: ReleasePolicyVersions } } },
  getReleasePoliciesNameDiff: { method: 'GET', url: '/api/v1/release-policies/:name/diff', api: 'api', access: read.access, tags: tags, summary: 'Diff of two versions (default: the last change)', schema: { params: NameParams, querystring: DiffQuery, response: { 200: ReleasePolicyDiff } } },
  postReleasePoliciesNameDiff: { method: 'POST', url: '/api/v1/release-policies/:name/diff', api: 'api', access: read.access, tags: tags, summary: 'What applying a document would change (changes nothing)', bodyLimit: BODY_LIMIT, schema: { params: NameParams, body: ApplyBody, response: { 200: ReleasePolicyDiff } } },
});

export function registerReleasePolicyRoutes(app: FastifyInstance, services: Services) {
  const { store } = services;
  // After a change committed: every node's gate sees it (the policy cache), and the
  // re-evaluation the change recorded (the repositories the old and new patterns match) runs.
  // The generation is written before the change is answered, so no node lets content through
  // on its old copy once a client has been told (src/quarantine/policy.ts).
  const changed = async () => {
    await bumpPolicyGeneration(store.settings);
    services.quarantinePolicy.invalidate();
    services.releasePolicy.reevaluationQueued();
  };
  const existing = async (name: string) => {
    const p = await store.releasePolicies.get(name);
    if (!p) throw registryError('NOT_FOUND', `release policy ${name} not found`);
    return p;
  };

  async function apply(request: FastifyRequest, body: Static<typeof ApplyBody>, pathName?: string) {
    const { document, source } = await documentOf(body.document);
    if (pathName !== undefined && document.name !== pathName) throw registryError('BAD_REQUEST', `name must be ${pathName} (the name in the path), got ${document.name}`, { field: 'name' });
    const result = await store.transaction((tx) => applyPolicy(tx, { document, source, actor: request.access.principal.name, requestId: request.id, ...(body.expectedVersion !== undefined ? { expectedVersion: body.expectedVersion } : {}) }));
    if (result.changed) await changed();
    return { created: result.changed && !result.previous, body: { ...policyView(result.record, { source: true }), changed: result.changed, warnings: warningsOf(document), diff: result.diff } };
  }

  serve(app, releasePolicyRoutes.getReleasePolicies, async () => ({ policies: (await store.releasePolicies.list()).map((p) => policyView(p)) }));

  serve(app, releasePolicyRoutes.getReleasePoliciesName, async (request) => policyView(await existing(request.params.name), { source: true }));

  serve(app, releasePolicyRoutes.postReleasePolicies, async (request, reply) => {
    const r = await apply(request, request.body);
    reply.status(r.created ? 201 : 200);
    return r.body;
  });

  serve(app, releasePolicyRoutes.putReleasePoliciesName, async (request, reply) => {
    const r = await apply(request, request.body, request.params.name);
    reply.status(r.created ? 201 : 200);
    return r.body;
  });

  serve(app, releasePolicyRoutes.deleteReleasePoliciesName, async (request, reply) => {
    const name = request.params.name;
    await store.transaction((tx) => deletePolicy(tx, name, { actor: request.access.principal.name, requestId: request.id }));
    await changed();
    reply.status(204);
  });

  serve(app, releasePolicyRoutes.getReleasePoliciesNameVersions, async (request) => {
    const name = request.params.name;
    const versions = await store.releasePolicies.versions(name);
    if (versions.length === 0) throw registryError('NOT_FOUND', `release policy ${name} not found`);
    return { versions: versions.map((v) => ({ version: v.version, deleted: v.document === null, changedAt: v.changedAt.toISOString(), changedBy: v.changedBy, ...(v.document ? { document: v.document } : {}) })) };
  });

  serve(app, releasePolicyRoutes.getReleasePoliciesNameDiff, async (request) => {
    const name = request.params.name;
    const q = request.query;
    const versions = await store.releasePolicies.versions(name, 1000);
    if (versions.length === 0) throw registryError('NOT_FOUND', `release policy ${name} not found`);
    const find = (v: number, field: string) => {
      const found = versions.find((x) => x.version === v);
      if (!found) throw registryError('BAD_REQUEST', `${field}: release policy ${name} has no version ${v}`, { field });
      return found;
    };
    const to = q.to !== undefined ? find(q.to, 'to') : versions[0]!;
    const from = q.from !== undefined ? (q.from === 0 ? undefined : find(q.from, 'from')) : versions.find((v) => v.version < to.version);
    const side = (v: typeof to | undefined) => (v?.document ? { version: v.version, document: v.document } : undefined);
    return { name, from: from?.version ?? 0, to: to.version, diff: diffOf(name, side(from), side(to)) };
  });

  serve(app, releasePolicyRoutes.postReleasePoliciesNameDiff, async (request) => {
    const name = request.params.name;
    const { document } = await documentOf(request.body.document);
    if (document.name !== name) throw registryError('BAD_REQUEST', `name must be ${name} (the name in the path), got ${document.name}`, { field: 'name' });
    const current = await store.releasePolicies.get(name);
    return { name, from: current?.version ?? 0, diff: diffOf(name, current, { version: (current?.version ?? 0) + 1, document }), warnings: warningsOf(document) };
  });
}
