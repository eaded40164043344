/**
 * The scan module's persistence: registered scanners, scan jobs and the orchestrator's report
 * artifacts (contracts: ../scanner-store.ts, ../job-store.ts; tables: tables.ts; migration
 * 005-scan; conformance section: suite.ts).
 */
import type { ModuleStore } from '../../metadata/module-store.ts';
import type { CoreRoles, TransactionalStore } from '../../metadata/metadata-store.ts';
import type { QuarantineRoles } from '../../quarantine/store/index.ts';
import type { EventRoles } from '../../events/store/index.ts';
import type { ScannerStore } from '../scanner-store.ts';
import type { ScanJobStore } from '../job-store.ts';
import * as scan005 from './migrations/005-scan.ts';
import { createScannerStore } from './sql/scanners.ts';
import { createScanJobStore } from './sql/jobs.ts';

export interface ScanRoles {
  scanners: ScannerStore;
  scanJobs: ScanJobStore;
}

/** What the scan module's code works with: the core, verdicts, the outbox (scan events) and its own roles. */
export type ScanTx = CoreRoles & QuarantineRoles & EventRoles & ScanRoles;
export type ScanStore = TransactionalStore<ScanTx>;
export type { ScanTables } from './tables.ts';

export const scanStore: ModuleStore<ScanRoles> = {
  name: 'scan',
  migrations: [['005-scan', scan005]],
  createRoles: (db) => ({ scanners: createScannerStore(db), scanJobs: createScanJobStore(db) }),
};
