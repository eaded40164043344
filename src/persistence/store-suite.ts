/**
 * The application store's conformance sections: the content core's and every module's
 * (src/<module>/store/suite.ts). Both backends (./sqlite-store.test.ts, ./postgres-store.test.ts)
 * run this list. A module adding tables adds its section here.
 */
import type { MetadataSuiteSection } from '../metadata/metadata-store-suite.ts';
import { coreSections } from '../metadata/suite/index.ts';
import { identitiesSection } from '../auth/store/suite.ts';
import { verdictsSection } from '../quarantine/store/suite.ts';
import { eventsSection } from '../events/store/suite.ts';
import { scanSection } from '../scan/store/suite.ts';
import { uploadStatesSection } from '../storage/store/suite.ts';
import { releasePolicySection } from '../release-policy/store/suite.ts';
import { gcSection } from '../lifecycle/store/suite.ts';
import { quotaSection, recycleBinSection } from '../lifecycle/store/suite.ts';
import type { StoreRoles } from './index.ts';

export const storeSuiteSections: MetadataSuiteSection<StoreRoles>[] = [
  ...coreSections,
  eventsSection,
  verdictsSection,
  identitiesSection,
  scanSection,
  uploadStatesSection,
  releasePolicySection,
  gcSection,
  recycleBinSection,
  quotaSection,
];
