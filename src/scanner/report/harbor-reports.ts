/**
 * Harbor's report shapes: vulnerability report 1.1 from the database's findings, SBOM report
 * 1.0 wrapping the raw SPDX or CycloneDX document. For an image without findings `severity` and
 * `vulnerabilities` are omitted, as the Trivy adapter does (clients read "no key" as clean).
 */
import { SEVERITIES, type Finding, type Severity } from '../types.ts';

export interface ScannerIdentity {
  name: string;
  vendor: string;
  version: string;
}

export interface ReportArtifact {
  repository: string;
  digest: string;
  mime_type: string;
}

export interface HarborVulnerability {
  id: string;
  package: string;
  version: string;
  fix_version?: string;
  status?: string;
  severity: Severity;
  description?: string;
  links?: string[];
  layer?: { digest: string; diff_id?: string };
  cwe_ids?: string[];
  vendor_attributes?: Record<string, unknown>;
}

export interface HarborVulnerabilityReport {
  generated_at: string;
  artifact: ReportArtifact;
  scanner: ScannerIdentity;
  severity?: Severity;
  vulnerabilities?: HarborVulnerability[];
}

export interface HarborSbomReport {
  generated_at: string;
  artifact: ReportArtifact;
  scanner: ScannerIdentity;
  media_type: string;
  sbom: unknown;
}

const rank = (s: Severity) => SEVERITIES.indexOf(s);

export function vulnerabilityReport(
  findings: Finding[],
  context: { artifact: ReportArtifact; scanner: ScannerIdentity; layers: { digest: string; diffId?: string }[]; now?: Date },
): HarborVulnerabilityReport {
  const report: HarborVulnerabilityReport = {
    generated_at: (context.now ?? new Date()).toISOString(),
    artifact: context.artifact,
    scanner: context.scanner,
  };
  if (findings.length === 0) return report;
  const diffIds = new Map(context.layers.map((l) => [l.digest, l.diffId]));
  const sorted = [...findings].sort((a, b) => rank(b.severity) - rank(a.severity) || a.package.localeCompare(b.package) || a.id.localeCompare(b.id));
  report.severity = sorted[0].severity;
  report.vulnerabilities = sorted.map((f) => {
    const v: HarborVulnerability = { id: f.id, package: f.package, version: f.installedVersion, severity: f.severity };
    if (f.fixedVersion) v.fix_version = f.fixedVersion;
    v.status = f.fixedVersion ? 'fixed' : 'affected';
    const description = f.description ?? f.title;
    if (description) v.description = description;
    if (f.links.length) v.links = f.links;
    const diffId = diffIds.get(f.layerDigest);
    v.layer = diffId ? { digest: f.layerDigest, diff_id: diffId } : { digest: f.layerDigest };
    const attrs: Record<string, unknown> = {};
    if (f.cvssScore !== undefined || f.cvssVector) attrs.CVSS = { nvd: cvssAttributes(f.cvssVector, f.cvssScore) };
    if (f.aliases?.length) attrs.aliases = f.aliases;
    attrs.ecosystem = f.ecosystem;
    v.vendor_attributes = attrs;
    return v;
  });
  return report;
}

export function sbomReport(sbom: unknown, mediaType: string, context: { artifact: ReportArtifact; scanner: ScannerIdentity; now?: Date }): HarborSbomReport {
  return { generated_at: (context.now ?? new Date()).toISOString(), artifact: context.artifact, scanner: context.scanner, media_type: mediaType, sbom };
}

/**
 * The CVSS entry under Trivy's key names, which Harbor shows and its adapters' clients read:
 * `V2Vector`/`V2Score`, `V3Vector`/`V3Score` (3.0 and 3.1), `V40Vector`/`V40Score`. The version
 * comes from the vector; a score without a vector is a v3 one (what the feeds' bare scores are).
 */
export function cvssAttributes(vector: string | undefined, score: number | undefined): Record<string, string | number> {
  const version = !vector || vector.startsWith('CVSS:3.') ? 'V3' : vector.startsWith('CVSS:4.0/') ? 'V40' : 'V2';
  return { ...(vector ? { [`${version}Vector`]: vector } : {}), ...(score !== undefined ? { [`${version}Score`]: score } : {}) };
}
