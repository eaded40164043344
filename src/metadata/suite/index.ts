/**
 * The content core's sections of the store conformance suite, one `describe` per role object.
 * Modules keep their sections beside their SQL (src/<module>/store/suite.ts); src/persistence/
 * joins every list, and both backends run them all.
 */
import type { MetadataSuiteSection } from './context.ts';
import { repositoriesSection } from './repositories.ts';
import { blobLinksSection, uploadsSection } from './blobs-and-uploads.ts';
import { manifestsSection } from './manifests.ts';
import { tagsSection } from './tags.ts';
import { settingsSection, auditSection } from './settings-and-audit.ts';
import { transactionSection } from './transaction.ts';

export const coreSections: MetadataSuiteSection[] = [
  repositoriesSection,
  blobLinksSection,
  manifestsSection,
  tagsSection,
  uploadsSection,
  settingsSection,
  auditSection,
  transactionSection,
];
