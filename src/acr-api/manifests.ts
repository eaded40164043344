/**
 * /acr/v1/{name}/_manifests: list manifest attributes, read one, PATCH its changeable
 * attributes and its verdict.
 *
 * PATCH permissions (decisions.md "Verdicts"): `quarantineState`/`quarantineDetails` need
 * quarantine_write on the repository; deleteEnabled/writeEnabled/readEnabled/listEnabled need
 * metadata_write. The route lets either through (anyOf) and the handler checks what the body
 * asks for. A PATCH without quarantine fields (what the Azure SDK sends) leaves the verdict
 * unchanged and echoes it back. Body fields are validated before anything is looked up.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import type { ManifestRecord } from '../metadata/metadata-store.ts';
import type { VerdictRecord } from '../quarantine/verdicts.ts';
import { registryError } from '../errors/registry-error.ts';
import { repositoryName } from '../distribution/params.ts';
import { collectPage } from '../distribution/pagination.ts';
import { requestFacts } from '../http/request-context.ts';
import { changeVerdict, parseVerdictFields } from '../quarantine/verdict-change.ts';
import { MAX_DETAILS_LENGTH } from '../quarantine/details-schema.ts';
import { acrNextLink, acrPageRequest, nameSegment } from './listing.ts';
import { manifestAttributes, registryName } from './shapes.ts';
import { pathDigest, readableManifest, tagsOf, visibleRepository } from './lookup.ts';
import { parseAttributePatch } from './attribute-patch.ts';

async function attributesResponse(services: Services, request: FastifyRequest, m: ManifestRecord, verdict: VerdictRecord | undefined) {
  return {
    registry: registryName(services.config, request),
    imageName: m.repository,
    manifest: manifestAttributes(m, await tagsOf(services, m.repository, m.digest), verdict),
  };
}

export function registerManifestResources(app: FastifyInstance, services: Services) {
  const { store } = services;

  app.get('/acr/v1/:name/_manifests', { config: { access: { kind: 'repository', action: 'metadata_read' } } }, async (request, reply) => {
    const name = repositoryName(request);
    await visibleRepository(services, request, name);
    const page = acrPageRequest(request, true);
    const { items, more } = await collectPage(
      page,
      (after, n) => store.manifests.list(name, { orderBy: page.orderBy, n, ...(after !== undefined ? { last: after } : {}) }),
      async (batch) => (await services.gate.visibleManifests(request.access, name, batch)).filter((m) => m.listEnabled),
      (m) => m.digest,
    );
    const verdicts = await store.verdicts.getMany(name, items.map((m) => m.digest));
    const manifests = [];
    for (const m of items) manifests.push(manifestAttributes(m, await tagsOf(services, name, m.digest), verdicts.get(m.digest)));
    if (more) reply.header('Link', acrNextLink(`/acr/v1/${nameSegment(name)}/_manifests`, page, items.at(-1)!.digest));
    return { registry: registryName(services.config, request), imageName: name, manifests };
  });

  // Decision: one manifest's attributes also take a `pull` token, because the seed's scanner
  // reads them with `scope=repository:<image>:pull`; they reveal nothing a pull of that digest
  // would not, and the gate applies the same. Lists need metadata_read, as on ACR (#600, #690).
  app.get('/acr/v1/:name/_manifests/:digest', { config: { access: { kind: 'repository', action: 'metadata_read', anyOf: ['pull'] } } }, async (request) => {
    const name = repositoryName(request);
    const manifest = await readableManifest(services, request, name, pathDigest(request));
    return attributesResponse(services, request, manifest, await store.verdicts.get(name, manifest.digest));
  });

  app.patch(
    '/acr/v1/:name/_manifests/:digest',
    {
      config: { access: { kind: 'repository', action: 'metadata_write', anyOf: ['quarantine_write'] } },
      bodyLimit: MAX_DETAILS_LENGTH * 2 + 4096,
    },
    async (request) => {
      const name = repositoryName(request);
      const digest = pathDigest(request);
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (typeof body !== 'object' || Array.isArray(body)) throw registryError('BAD_REQUEST', 'the body must be a JSON object');
      const attributes = parseAttributePatch(body);
      const verdict = parseVerdictFields(body);
      const wantsVerdict = verdict.state !== undefined || verdict.details !== undefined;
      const note = auditNote(request.headers['x-lazaret-audit-note']);
      const manifest = await store.manifests.get(name, digest);
      if (!manifest) {
        if (!(await store.repositories.get(name))) throw registryError('NAME_UNKNOWN', undefined, { name });
        throw registryError('MANIFEST_UNKNOWN', `manifest ${digest} is not found`, { name, digest });
      }
      if (wantsVerdict && !request.access.can(name, 'quarantine_write')) {
        throw registryError('DENIED', `setting quarantineState or quarantineDetails needs quarantine write (AcrQuarantineWriter) on ${name}`, { action: 'quarantine_write' });
      }
      if (Object.keys(attributes).length > 0 && !request.access.can(name, 'metadata_write')) {
        throw registryError('DENIED', `changing deleteEnabled, writeEnabled, readEnabled or listEnabled needs metadata_write on ${name}`, { action: 'metadata_write' });
      }
      // What the response shows must pass the gate too (a quarantine writer always does).
      await services.gate.checkManifestRead(request.access, manifest, 'digest', 'GET');
      const { record, stored } = await store.transaction(async (tx) => {
        const record = Object.keys(attributes).length > 0 ? ((await tx.manifests.updateAttributes(name, digest, attributes)) ?? manifest) : manifest;
        const stored = wantsVerdict
          ? await changeVerdict(tx, services.lifecycle, { manifest: record, ...verdict, ...(note ? { note } : {}), request: requestFacts(request) })
          : await tx.verdicts.get(name, digest);
        return { record, stored };
      });
      return attributesResponse(services, request, record, stored);
    },
  );
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
