/**
 * The Harbor Pluggable Scanner API's MIME strings, exactly as Harbor compares them: one space
 * after `;`. The error type is the one the Trivy adapter sends; the spec's `+json` spelling is
 * accepted from clients too (docs/scanner.md).
 */
export const SCANNER_MIME = {
  metadata: 'application/vnd.scanner.adapter.metadata+json; version=1.0',
  scanRequest: 'application/vnd.scanner.adapter.scan.request+json; version=1.0',
  scanResponse: 'application/vnd.scanner.adapter.scan.response+json; version=1.0',
  vulnerabilityReport: 'application/vnd.security.vulnerability.report; version=1.1',
  sbomReport: 'application/vnd.security.sbom.report+json; version=1.0',
  error: 'application/vnd.scanner.adapter.error; version=1.0',
  /** Harbor's old report type: not produced (as the Trivy adapter). */
  harborVulnReport: 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0',
} as const;

export const CONSUMED_MIME_TYPES = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'];
