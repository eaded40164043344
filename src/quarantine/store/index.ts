/**
 * The quarantine module's persistence: verdicts (contract: ../verdicts.ts; table: tables.ts;
 * migration 003-quarantine; conformance section: suite.ts).
 */
import type { ModuleStore } from '../../metadata/module-store.ts';
import type { VerdictStore } from '../verdicts.ts';
import * as quarantine003 from './migrations/003-quarantine.ts';
import { createVerdictStore } from './sql/verdicts.ts';

export type { QuarantineTables } from './tables.ts';

export interface QuarantineRoles {
  verdicts: VerdictStore;
}

export const quarantineStore: ModuleStore<QuarantineRoles> = {
  name: 'quarantine',
  migrations: [['003-quarantine', quarantine003]],
  createRoles: (db) => ({ verdicts: createVerdictStore(db) }),
};
