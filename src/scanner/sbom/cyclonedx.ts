/**
 * The inventory as a CycloneDX 1.5 JSON BOM, built and serialized by @cyclonedx/cyclonedx-library.
 * The image is the BOM's metadata component (type container); each package is a library
 * component (operating-system packages type `library` too, as Trivy does) with its purl as
 * bom-ref, its licenses, and properties naming the layer and record file it came from.
 */
import * as CDX from '@cyclonedx/cyclonedx-library';
import { isSpdxExpression } from './spdx-license.ts';
import type { Inventory } from '../types.ts';
import { SCANNER_TOOL, type SbomSubject } from './image-subject.ts';

export const CYCLONEDX_MEDIA_TYPE = 'application/vnd.cyclonedx+json';

const licenses = new CDX.Contrib.License.Factories.LicenseFactory(isSpdxExpression);
const serializer = new CDX.Serialize.JsonSerializer(new CDX.Serialize.JSON.Normalize.Factory(CDX.Spec.Spec1dot5));

export function cycloneDxDocument(inventory: Inventory, subject: SbomSubject, now = new Date()): Record<string, unknown> {
  const bom = new CDX.Models.Bom();
  bom.serialNumber = `urn:uuid:${crypto.randomUUID()}`;
  bom.metadata.timestamp = now;
  bom.metadata.tools.components.add(new CDX.Models.Component(CDX.Enums.ComponentType.Application, SCANNER_TOOL.name, { version: SCANNER_TOOL.version, group: SCANNER_TOOL.vendor }));
  const image = new CDX.Models.Component(CDX.Enums.ComponentType.Container, subject.repository, { version: subject.digest, bomRef: subject.digest });
  bom.metadata.component = image;
  if (inventory.os) {
    const os = new CDX.Models.Component(CDX.Enums.ComponentType.OperatingSystem, inventory.os.id, { version: inventory.os.versionId, bomRef: `os:${inventory.os.id}@${inventory.os.versionId ?? ''}` });
    bom.components.add(os);
    image.dependencies.add(os.bomRef);
  }
  const seen = new Set<string>();
  for (const p of inventory.packages) {
    if (seen.has(p.purl)) continue;
    seen.add(p.purl);
    const c = new CDX.Models.Component(CDX.Enums.ComponentType.Library, p.name, { version: p.version, bomRef: p.purl });
    c.purl = p.purl;
    for (const l of p.licenses ?? []) c.licenses.add(licenses.makeFromString(l));
    c.properties.add(new CDX.Models.Property('lazaret:layer:digest', p.layerDigest));
    c.properties.add(new CDX.Models.Property('lazaret:package:path', p.path));
    c.properties.add(new CDX.Models.Property('lazaret:package:ecosystem', p.ecosystem));
    if (p.sourceName) c.properties.add(new CDX.Models.Property('lazaret:package:source-name', p.sourceName));
    if (p.sourceVersion) c.properties.add(new CDX.Models.Property('lazaret:package:source-version', p.sourceVersion));
    bom.components.add(c);
    image.dependencies.add(c.bomRef);
  }
  return JSON.parse(serializer.serialize(bom, { sortLists: true }));
}
