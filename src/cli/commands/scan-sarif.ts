/** A Harbor vulnerability report as SARIF 2.1.0 (what code-scanning dashboards read). */
import type { HarborVulnerability as Vuln } from '../../scan/harbor-api.ts';

const LEVEL: Record<string, string> = { Critical: 'error', High: 'error', Medium: 'warning', Low: 'note', Unknown: 'none' };

export function toSarif(report: { vulnerabilities?: Vuln[]; scanner?: { name: string; version: string } }, image: string) {
  const vulns = report.vulnerabilities ?? [];
  const ids = [...new Set(vulns.map((v) => v.id))];
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: report.scanner?.name ?? 'scanner',
            version: report.scanner?.version ?? '',
            rules: ids.map((id) => {
              const v = vulns.find((x) => x.id === id)!;
              return { id, shortDescription: { text: id }, ...(v.description ? { fullDescription: { text: v.description } } : {}), ...(v.links?.[0] ? { helpUri: v.links[0] } : {}), properties: { severity: v.severity ?? 'Unknown' } };
            }),
          },
        },
        results: vulns.map((v) => ({
          ruleId: v.id,
          level: LEVEL[v.severity ?? 'Unknown'] ?? 'none',
          message: { text: `${v.package} ${v.version} is affected by ${v.id}${v.fix_version ? `; fixed in ${v.fix_version}` : ''}` },
          locations: [{ physicalLocation: { artifactLocation: { uri: image } } }],
        })),
      },
    ],
  };
}
