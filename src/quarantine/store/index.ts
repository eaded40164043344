/**
 * The quarantine module's persistence: verdicts (contract: ../verdicts.ts; table: tables.ts;
 * migrations 003-quarantine and 021-verdict-followers; conformance section: suite.ts).
 */
import type { ModuleStore } from '../../metadata/module-store.ts';
import type { VerdictStore } from '../verdicts.ts';
import * as quarantine003 from './migrations/003-quarantine.ts';
import * as quarantine021 from './migrations/021-verdict-followers.ts';
import { createVerdictStore } from './sql/verdicts.ts';

export type { QuarantineTables } from './tables.ts';

export interface QuarantineRoles {
  verdicts: VerdictStore;
}

export const quarantineStore: ModuleStore<QuarantineRoles> = {
  name: 'quarantine',
  migrations: [['003-quarantine', quarantine003], ['021-verdict-followers', quarantine021]],
  createRoles: (db) => ({ verdicts: createVerdictStore(db) }),
};
