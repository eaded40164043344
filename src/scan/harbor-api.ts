/**
 * The Harbor Pluggable Scanner API's media types and shapes, as adapters really serve them
 * (docs/scanning.md "Talking to adapters"). MIME strings are exact: one space after `;`.
 */
import { SCANNER_MIME } from '../scanner/report/mime-types.ts';

/** One definition of the protocol's MIME strings, shared with the built-in scanner's server. */
export const MIME = SCANNER_MIME;

export const IMAGE_MANIFEST_TYPES = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'] as const;
export const SBOM_MEDIA_TYPES = { cyclonedx: 'application/vnd.cyclonedx+json', spdx: 'application/spdx+json' } as const;

export const DB_UPDATED_AT = 'harbor.scanner-adapter/vulnerability-database-updated-at';
export const REGISTRY_AUTHORIZATION_TYPE = 'harbor.scanner-adapter/registry-authorization-type';

export interface AdapterCapability {
  type?: string;
  consumes_mime_types: string[];
  produces_mime_types: string[];
  additional_attributes?: { sbom_media_types?: string[] };
}

export interface AdapterMetadata {
  scanner: { name: string; vendor: string; version: string };
  capabilities: AdapterCapability[];
  properties?: Record<string, string>;
}

export interface ScanRequest {
  registry: { url: string; authorization: string };
  artifact: { repository: string; digest: string; tag?: string; mime_type: string };
  enabled_capabilities?: { type: string; produces_mime_types: string[]; parameters?: { sbom_media_types: string[] } }[];
}

export interface HarborVulnerability {
  id: string;
  package: string;
  version: string;
  fix_version?: string;
  severity?: string;
  description?: string;
  links?: string[];
  layer?: { digest?: string; diff_id?: string };
}

export interface HarborVulnerabilityReport {
  generated_at?: string;
  artifact?: { repository?: string; digest?: string; mime_type?: string };
  scanner?: { name: string; vendor: string; version: string };
  /** Omitted by the Trivy adapter for a clean image. */
  severity?: string;
  /** Omitted by the Trivy adapter for a clean image. */
  vulnerabilities?: HarborVulnerability[];
}

export interface HarborSbomReport {
  generated_at?: string;
  media_type?: string;
  sbom?: unknown;
}

/** Checks a metadata document as Harbor does; returns the problem, or undefined when usable. */
export function metadataProblem(m: unknown): string | undefined {
  if (typeof m !== 'object' || m === null) return 'the metadata is not a JSON object';
  const meta = m as Partial<AdapterMetadata>;
  const s = meta.scanner;
  if (!s || typeof s.name !== 'string' || !s.name || typeof s.vendor !== 'string' || !s.vendor || typeof s.version !== 'string' || !s.version) {
    return 'the metadata lacks scanner.name, scanner.vendor or scanner.version';
  }
  if (!Array.isArray(meta.capabilities) || meta.capabilities.length === 0) return 'the metadata lists no capabilities';
  const vuln = meta.capabilities.find((c) => Array.isArray(c?.produces_mime_types) && c.produces_mime_types.includes(MIME.vulnerabilityReport));
  if (!vuln) return `no capability produces ${MIME.vulnerabilityReport}`;
  if (!Array.isArray(vuln.consumes_mime_types) || !IMAGE_MANIFEST_TYPES.some((t) => vuln.consumes_mime_types.includes(t))) return 'the vulnerability capability consumes no image manifest type';
  return undefined;
}

/** The SBOM media types the adapter offers (empty when it has no SBOM capability). */
export function sbomTypesOf(m: AdapterMetadata): string[] {
  const c = m.capabilities.find((x) => x.produces_mime_types?.includes(MIME.sbomReport));
  if (!c) return [];
  const offered = c.additional_attributes?.sbom_media_types ?? [SBOM_MEDIA_TYPES.spdx];
  return Object.values(SBOM_MEDIA_TYPES).filter((t) => offered.includes(t));
}
