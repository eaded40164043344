/**
 * POST /api/v1/scan bodies, validated as the Harbor Pluggable Scanner API says: 400 for bad JSON
 * or a capability without produces_mime_types; 422 for a missing or invalid registry.url, a
 * missing repository or digest, an unknown capability type or produced MIME type, and an SBOM
 * capability without (or with unsupported) sbom_media_types. No capabilities = vulnerability 1.1.
 */
import { CYCLONEDX_MEDIA_TYPE } from '../sbom/cyclonedx.ts';
import { SPDX_MEDIA_TYPE } from '../sbom/spdx.ts';
import { CONSUMED_MIME_TYPES, SCANNER_MIME } from '../report/mime-types.ts';

export const SBOM_MEDIA_TYPES = [SPDX_MEDIA_TYPE, CYCLONEDX_MEDIA_TYPE];

export interface ScanRequest {
  registry: { url: string; authorization?: string };
  artifact: { repository: string; digest: string; tag?: string; mime_type?: string };
  /** What to produce; never empty after validation. */
  capabilities: { vulnerability: boolean; sbomMediaTypes: string[] };
}

export class ScanRequestError extends Error {
  constructor(
    readonly status: 400 | 422,
    message: string,
  ) {
    super(message);
  }
}

const DIGEST = /^sha256:[a-f0-9]{64}$|^sha512:[a-f0-9]{128}$/;
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseScanRequest(body: string): ScanRequest {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    throw new ScanRequestError(400, 'the request body is not valid JSON');
  }
  if (!isObject(doc)) throw new ScanRequestError(400, 'the request body is not a JSON object');
  const caps = doc.enabled_capabilities ?? [];
  if (!Array.isArray(caps)) throw new ScanRequestError(400, 'enabled_capabilities is not an array');
  // Shape errors (400) are found before semantic ones (422), as the adapters do.
  for (const [i, c] of caps.entries()) {
    if (!isObject(c) || !Array.isArray(c.produces_mime_types) || c.produces_mime_types.length === 0 || !c.produces_mime_types.every((m) => typeof m === 'string')) {
      throw new ScanRequestError(400, `enabled_capabilities[${i}] has no produces_mime_types`);
    }
  }
  const registry = doc.registry;
  if (!isObject(registry) || typeof registry.url !== 'string' || registry.url === '') throw new ScanRequestError(422, 'missing registry.url');
  let url: URL;
  try {
    url = new URL(registry.url);
  } catch {
    throw new ScanRequestError(422, 'invalid registry.url');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) throw new ScanRequestError(422, 'invalid registry.url: an http(s) URL without credentials');
  if (registry.authorization !== undefined && typeof registry.authorization !== 'string') throw new ScanRequestError(422, 'invalid registry.authorization');
  const authorization = registry.authorization as string | undefined;
  if (authorization && !/^(Basic|Bearer) \S+$/i.test(authorization)) throw new ScanRequestError(422, 'registry.authorization must be `Basic ...` or `Bearer ...`');
  const artifact = doc.artifact;
  if (!isObject(artifact) || typeof artifact.repository !== 'string' || artifact.repository === '') throw new ScanRequestError(422, 'missing artifact.repository');
  if (!REPOSITORY.test(artifact.repository) || artifact.repository.length > 255) throw new ScanRequestError(422, 'invalid artifact.repository');
  if (typeof artifact.digest !== 'string' || artifact.digest === '') throw new ScanRequestError(422, 'missing artifact.digest');
  if (!DIGEST.test(artifact.digest)) throw new ScanRequestError(422, 'invalid artifact.digest');
  if (artifact.mime_type !== undefined && (typeof artifact.mime_type !== 'string' || !CONSUMED_MIME_TYPES.includes(artifact.mime_type))) {
    throw new ScanRequestError(422, `unsupported artifact.mime_type ${JSON.stringify(artifact.mime_type)}: scan image manifests (an index's children one by one)`);
  }
  const capabilities = { vulnerability: caps.length === 0, sbomMediaTypes: [] as string[] };
  for (const c of caps as Record<string, unknown>[]) {
    const produces = c.produces_mime_types as string[];
    if (c.type === 'vulnerability') {
      if (!produces.every((m) => m === SCANNER_MIME.vulnerabilityReport)) throw new ScanRequestError(422, `unsupported produces_mime_types for vulnerability: ${produces.join(', ')}`);
      capabilities.vulnerability = true;
    } else if (c.type === 'sbom') {
      if (!produces.every((m) => m === SCANNER_MIME.sbomReport)) throw new ScanRequestError(422, `unsupported produces_mime_types for sbom: ${produces.join(', ')}`);
      const params = c.parameters;
      const types = isObject(params) ? params.sbom_media_types : undefined;
      if (!Array.isArray(types) || types.length === 0) throw new ScanRequestError(422, 'missing sbom_media_types');
      for (const t of types) {
        if (typeof t !== 'string' || !SBOM_MEDIA_TYPES.includes(t)) throw new ScanRequestError(422, `unsupported sbom_media_type ${JSON.stringify(t)}`);
        if (!capabilities.sbomMediaTypes.includes(t)) capabilities.sbomMediaTypes.push(t);
      }
    } else {
      throw new ScanRequestError(422, `unknown capability type ${JSON.stringify(c.type)}`);
    }
  }
  return {
    registry: { url: registry.url.replace(/\/+$/, ''), ...(authorization ? { authorization } : {}) },
    artifact: {
      repository: artifact.repository,
      digest: artifact.digest,
      ...(typeof artifact.tag === 'string' ? { tag: artifact.tag } : {}),
      ...(typeof artifact.mime_type === 'string' ? { mime_type: artifact.mime_type } : {}),
    },
    capabilities,
  };
}
