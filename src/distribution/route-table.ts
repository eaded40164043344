/**
 * The /v2 routes (OCI Distribution Spec 1.1 and the Docker Registry v2 behaviours clients
 * rely on), declared once (src/http/route-table.ts). They carry no request schemas on purpose:
 * /v2 bodies are never parsed and every bad input must answer in the registry's error format
 * (docs/api-v2.md), which the handlers' own checks (params.ts) produce. The JSON bodies /v2
 * writes itself have schemas in ./v2-schemas.ts: the catalog's is its declared response; the
 * tags list and the referrers index are serialised by their handlers (a cached page is sent as
 * the same bytes every time), which check them against the schema's type. Paths with and without
 * a trailing slash are both served, as docker and containerd send either.
 */
import { declareRoutes } from '../http/route-table.ts';
import { V2Catalog } from './v2-schemas.ts';

const pull = { kind: 'repository', action: 'pull' } as const;
const push = { kind: 'repository', action: 'push' } as const;
const remove = { kind: 'repository', action: 'delete' } as const;
const tags = ['v2 (OCI Distribution)'];

export const distributionRoutes = declareRoutes({
  getV2: { method: ['GET', 'HEAD'], url: '/v2/', api: 'v2', oci: true, tags, access: { kind: 'credentials' }, summary: 'API version check: 200 with credentials, else 401 with the Bearer challenge naming the token realm' },
  getV2NoSlash: { method: ['GET', 'HEAD'], url: '/v2', api: 'v2', hidden: true, tags, access: { kind: 'credentials' }, summary: 'The version check without the trailing slash' },
  getBlob: { method: 'GET', url: '/v2/:name/blobs/:digest', exposeHeadRoute: false, api: 'v2', oci: true, tags, access: pull, summary: 'Read a blob (Range supported); held content answers 403 IMAGE_QUARANTINED' },
  headBlob: { method: 'HEAD', url: '/v2/:name/blobs/:digest', api: 'v2', oci: true, tags, access: pull, summary: 'Whether a blob exists, and its size' },
  deleteBlob: { method: 'DELETE', url: '/v2/:name/blobs/:digest', api: 'v2', oci: true, tags, access: remove, summary: 'Unlink a blob from the repository' },
  postUpload: { method: 'POST', url: '/v2/:name/blobs/uploads/', api: 'v2', oci: true, tags, access: push, summary: 'Start an upload (monolithic with ?digest=, a cross-repository mount with ?mount=&from=)' },
  postUploadNoSlash: { method: 'POST', url: '/v2/:name/blobs/uploads', api: 'v2', hidden: true, tags, access: push, summary: 'Start an upload (without the trailing slash)' },
  patchUpload: { method: 'PATCH', url: '/v2/:name/blobs/uploads/:id', api: 'v2', oci: true, tags, access: push, summary: 'Send a chunk of an upload' },
  putUpload: { method: 'PUT', url: '/v2/:name/blobs/uploads/:id', api: 'v2', oci: true, tags, access: push, summary: 'Finish an upload (?digest=), optionally with its last chunk' },
  getUpload: { method: 'GET', url: '/v2/:name/blobs/uploads/:id', exposeHeadRoute: false, api: 'v2', oci: true, tags, access: push, summary: 'The progress of an upload (Range)' },
  deleteUpload: { method: 'DELETE', url: '/v2/:name/blobs/uploads/:id', api: 'v2', oci: true, tags, access: push, summary: 'Cancel an upload (needs push, as it is part of pushing)' },
  getManifest: { method: 'GET', url: '/v2/:name/manifests/:reference', exposeHeadRoute: false, api: 'v2', oci: true, tags, access: pull, summary: 'Read a manifest by tag or digest; held ones look absent by tag and answer 403 by digest' },
  headManifest: { method: 'HEAD', url: '/v2/:name/manifests/:reference', api: 'v2', oci: true, tags, access: pull, summary: 'Whether a manifest exists (digest, media type, size)' },
  putManifest: { method: 'PUT', url: '/v2/:name/manifests/:reference', api: 'v2', oci: true, tags, access: push, summary: 'Push a manifest (by tag or digest; ?tag= adds tags)' },
  deleteManifest: { method: 'DELETE', url: '/v2/:name/manifests/:reference', api: 'v2', oci: true, tags, access: remove, summary: 'Delete a manifest by digest, or a tag' },
  getTagsList: { method: 'GET', url: '/v2/:name/tags/list', api: 'v2', oci: true, tags, access: pull, summary: 'The repository\'s tags (paged: n, last, Link)' },
  getReferrers: { method: 'GET', url: '/v2/:name/referrers/:digest', api: 'v2', oci: true, tags, access: pull, summary: 'Manifests whose subject is the digest (?artifactType= filters)' },
  getCatalog: { method: 'GET', url: '/v2/_catalog', api: 'v2', tags, access: { kind: 'registry', action: 'catalog' }, summary: 'The repositories (Docker Registry extension; paged: n, last, Link)', schema: { response: { 200: V2Catalog } } },
});
