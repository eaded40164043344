/**
 * The storage-lifecycle module's persistence: garbage collection's tombstones, link states and
 * runs (contract: ../gc/gc-store.ts; tables: tables.ts; migration 009-lifecycle; conformance
 * section: suite.ts).
 */
import type { ModuleStore } from '../../metadata/module-store.ts';
import type { GcStore } from '../gc/gc-store.ts';
import * as lifecycle009 from './migrations/009-lifecycle.ts';
import { createGcStore } from './gc-sql.ts';

export interface LifecycleRoles {
  /** Garbage collection: reference claims and releases, and the collector's questions. */
  gc: GcStore;
}

export const lifecycleStore: ModuleStore<LifecycleRoles> = {
  name: 'lifecycle',
  migrations: [['009-lifecycle', lifecycle009]],
  createRoles: (db) => ({ gc: createGcStore(db) }),
};
