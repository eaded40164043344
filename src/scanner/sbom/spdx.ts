/**
 * The inventory as an SPDX 2.3 JSON document. No maintained JavaScript writer for SPDX 2.3
 * exists, so this is a small typed one that fills every field SPDX 2.3 requires of a document
 * and of a package (spdx.test.ts checks them): the image is the described package, each
 * installed package is CONTAINed by it (image CONTAINS package), with its purl as an external
 * reference. Declared licenses that are not valid SPDX expressions become NOASSERTION.
 */
import { isSpdxExpression } from './spdx-license.ts';
import type { Inventory } from '../types.ts';
import { SCANNER_TOOL, type SbomSubject } from './image-subject.ts';

export const SPDX_MEDIA_TYPE = 'application/spdx+json';

export interface SpdxPackage {
  name: string;
  SPDXID: string;
  versionInfo?: string;
  downloadLocation: string;
  filesAnalyzed: boolean;
  licenseConcluded: string;
  licenseDeclared: string;
  copyrightText: string;
  supplier?: string;
  primaryPackagePurpose?: string;
  externalRefs?: { referenceCategory: string; referenceType: string; referenceLocator: string }[];
  sourceInfo?: string;
}

export interface SpdxDocument {
  spdxVersion: 'SPDX-2.3';
  dataLicense: 'CC0-1.0';
  SPDXID: 'SPDXRef-DOCUMENT';
  name: string;
  documentNamespace: string;
  creationInfo: { created: string; creators: string[] };
  documentDescribes: string[];
  packages: SpdxPackage[];
  relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[];
}

function spdxLicense(values: string[] | undefined): string {
  if (!values || values.length === 0) return 'NOASSERTION';
  const valid = values.filter(isSpdxExpression);
  if (valid.length !== values.length) return 'NOASSERTION';
  return valid.length === 1 ? valid[0] : valid.map((v) => `(${v})`).join(' AND ');
}

/** SPDXIDs allow letters, digits, `.` and `-` only. */
const spdxId = (s: string) => s.replace(/[^A-Za-z0-9.-]+/g, '-');

export function spdxDocument(inventory: Inventory, subject: SbomSubject, now = new Date()): SpdxDocument {
  const imageId = `SPDXRef-Image-${spdxId(subject.digest.replace(':', '-').slice(0, 24))}`;
  const image: SpdxPackage = {
    name: subject.repository,
    SPDXID: imageId,
    versionInfo: subject.digest,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: 'NOASSERTION',
    copyrightText: 'NOASSERTION',
    primaryPackagePurpose: 'CONTAINER',
  };
  const packages: SpdxPackage[] = [image];
  const relationships: SpdxDocument['relationships'] = [{ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: imageId }];
  if (inventory.os) {
    const osId = `SPDXRef-OperatingSystem-${spdxId(inventory.os.id)}`;
    packages.push({
      name: inventory.os.id,
      SPDXID: osId,
      ...(inventory.os.versionId ? { versionInfo: inventory.os.versionId } : {}),
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: 'NOASSERTION',
      copyrightText: 'NOASSERTION',
      primaryPackagePurpose: 'OPERATING-SYSTEM',
    });
    relationships.push({ spdxElementId: imageId, relationshipType: 'CONTAINS', relatedSpdxElement: osId });
  }
  inventory.packages.forEach((p, i) => {
    const id = `SPDXRef-Package-${i + 1}-${spdxId(p.name).slice(0, 64)}`;
    packages.push({
      name: p.name,
      SPDXID: id,
      versionInfo: p.version,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: spdxLicense(p.licenses),
      copyrightText: 'NOASSERTION',
      primaryPackagePurpose: 'LIBRARY',
      externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: p.purl }],
      sourceInfo: `${p.path} in layer ${p.layerDigest}${p.sourceName ? `; source package ${p.sourceName}${p.sourceVersion ? ` ${p.sourceVersion}` : ''}` : ''}`,
    });
    relationships.push({ spdxElementId: imageId, relationshipType: 'CONTAINS', relatedSpdxElement: id });
  });
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `${subject.registry ? `${subject.registry}/` : ''}${subject.repository}@${subject.digest}`,
    documentNamespace: `https://lazaret.invalid/spdx/${encodeURIComponent(subject.repository)}/${subject.digest}/${crypto.randomUUID()}`,
    creationInfo: { created: now.toISOString().replace(/\.\d{3}Z$/, 'Z'), creators: [`Tool: ${SCANNER_TOOL.name}-${SCANNER_TOOL.version}`, `Organization: ${SCANNER_TOOL.vendor}`] },
    documentDescribes: [imageId],
    packages,
    relationships,
  };
}
