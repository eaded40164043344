/**
 * /acr/v1/{name}/_manifests: list manifest attributes, read one, PATCH its changeable
 * attributes and its verdict.
 *
 * PATCH permissions (docs/quarantine.md "Verdicts"): `quarantineState`/`quarantineDetails` need
 * quarantine_write on the repository; deleteEnabled/writeEnabled/readEnabled/listEnabled need
 * metadata_write. The route lets either through (anyOf) and the handler checks what the body
 * asks for. A PATCH without quarantine fields (what the Azure SDK sends) leaves the verdict
 * unchanged and echoes it back. Body fields are validated before anything is looked up.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import type { ManifestView } from '../registry/index.ts';
import { registryError } from '../errors/index.ts';
import { repositoryName } from '../distribution/params.ts';
import { requestFacts } from '../http/request-context.ts';
import { parseVerdictFields } from '../quarantine/verdict-change.ts';
import { MAX_DETAILS_LENGTH } from '../quarantine/details-schema.ts';
import { acrNextLink, acrPageRequest, nameSegment } from './listing.ts';
import { manifestAttributes, registryName } from './shapes.ts';
import { pathDigest } from './params.ts';
import { parseAttributePatch } from './attribute-patch.ts';
import { declareRoutes, serve } from '../http/route-table.ts';
import { AcrManifest, AcrManifestList } from './acr-schemas.ts';

function attributesResponse(services: Services, request: FastifyRequest, view: ManifestView) {
  return {
    registry: registryName(services.config, request),
    imageName: view.manifest.repository,
    manifest: manifestAttributes(view.manifest, view.tags, view.verdict),
  };
}

/** The routes of this file (the route table: src/http/route-table.ts). */
export const acrManifestRoutes = declareRoutes({
  acrListManifests: { method: 'GET', url: '/acr/v1/:name/_manifests', api: 'acr', tags: ['acr/v1'], access: { kind: 'repository', action: 'metadata_read' }, summary: "The repository's manifests with attributes (ACR GetManifests; orderby, paged)", schema: { response: { 200: AcrManifestList } } },
  acrGetManifestAttributes: { method: 'GET', url: '/acr/v1/:name/_manifests/:digest', api: 'acr', tags: ['acr/v1'], access: { kind: 'repository', action: 'metadata_read', anyOf: ['pull'] }, summary: "A manifest's attributes, tags and verdict (ACR GetManifestProperties)", schema: { response: { 200: AcrManifest } } },
  acrUpdateManifestAttributes: { method: 'PATCH', url: '/acr/v1/:name/_manifests/:digest', api: 'acr', tags: ['acr/v1'], access: { kind: 'repository', action: 'metadata_write', anyOf: ['quarantine_write'] }, summary: "Change a manifest's attributes (metadata_write) or its verdict (quarantine_write)", bodyLimit: MAX_DETAILS_LENGTH * 2 + 4096, schema: { response: { 200: AcrManifest } } },
});

export function registerManifestResources(app: FastifyInstance, services: Services) {
  const { registry } = services;

  serve(app, acrManifestRoutes.acrListManifests, async (request, reply) => {
    const name = repositoryName(request);
    const page = acrPageRequest(request, true);
    const { items, more } = await registry.as(request.access).listManifests(name, page);
    if (more) reply.header('Link', acrNextLink(`/acr/v1/${nameSegment(name)}/_manifests`, page, items.at(-1)!.manifest.digest));
    return { registry: registryName(services.config, request), imageName: name, manifests: items.map((v) => manifestAttributes(v.manifest, v.tags, v.verdict)) };
  });

  // Decision: one manifest's attributes also take a `pull` token, because the seed's scanner
  // reads them with `scope=repository:<image>:pull`; they reveal nothing a pull of that digest
  // would not, and the gate applies the same. Lists need metadata_read, as on ACR (#600, #690).
  serve(app, acrManifestRoutes.acrGetManifestAttributes, async (request) => {
    return attributesResponse(services, request, await registry.as(request.access).manifest(repositoryName(request), pathDigest(request)));
  });

  serve(app, acrManifestRoutes.acrUpdateManifestAttributes, async (request) => {
      const name = repositoryName(request);
      const digest = pathDigest(request);
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (typeof body !== 'object' || Array.isArray(body)) throw registryError('BAD_REQUEST', 'the body must be a JSON object');
      const attributes = parseAttributePatch(body);
      const verdict = parseVerdictFields(body);
      const note = auditNote(request.headers['x-lazaret-audit-note']);
      // Visibility, existence, who may change what, the gate, one transaction: the registry service.
      const view = await registry.as(request.access).patchManifest(name, digest, { attributes, verdict, ...(note ? { note } : {}) }, requestFacts(request));
      return attributesResponse(services, request, view);
    });
}

/**
 * The optional note a person gives with a verdict (the portal's confirmation dialog), sent as
 * a percent-encoded `X-Lazaret-Audit-Note` header so the ACR-shaped body stays ACR's. It only
 * ever lands in the audit entry's details.
 */
function auditNote(raw: string | string[] | undefined): string | undefined {
  if (typeof raw !== 'string' || raw === '') return undefined;
  try {
    return decodeURIComponent(raw).slice(0, 1000);
  } catch {
    throw registryError('BAD_REQUEST', 'X-Lazaret-Audit-Note must be percent-encoded UTF-8', { field: 'X-Lazaret-Audit-Note' });
  }
}
