/**
 * The sections of the MetadataStore conformance suite, one `describe` per role object. A module
 * adding a role object adds its section file here (one import, one list entry); both backends
 * then run it.
 */
import type { MetadataSuiteSection } from './context.ts';
import { repositoriesSection } from './repositories.ts';
import { blobLinksSection, uploadsSection } from './blobs-and-uploads.ts';
import { manifestsSection } from './manifests.ts';
import { tagsSection } from './tags.ts';
import { settingsSection, auditSection } from './settings-and-audit.ts';
import { transactionSection } from './transaction.ts';
import { eventsSection } from './events.ts';
import { verdictsSection } from './verdicts.ts';
import { identitiesSection } from './identities.ts';

export const sections: MetadataSuiteSection[] = [
  repositoriesSection,
  blobLinksSection,
  manifestsSection,
  tagsSection,
  uploadsSection,
  settingsSection,
  auditSection,
  transactionSection,
  eventsSection,
  verdictsSection,
  identitiesSection,
];
