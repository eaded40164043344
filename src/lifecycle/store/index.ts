/**
 * The storage-lifecycle module's persistence: garbage collection's tombstones, link states and
 * runs (contract: ../gc/gc-store.ts; tables: tables.ts; migration 009-lifecycle; conformance
 * section: suite.ts), and manifests' last pull times (../retention/pull-time-store.ts, migration
 * 011-pull-times).
 */
import type { ModuleStore } from '../../metadata/module-store.ts';
import type { GcStore } from '../gc/gc-store.ts';
import * as lifecycle009 from './migrations/009-lifecycle.ts';
import * as lifecycle011 from './migrations/011-pull-times.ts';
import { createGcStore } from './gc-sql.ts';
import type { PullTimeStore } from '../retention/pull-time-store.ts';
import { createPullTimeStore } from './pulls-sql.ts';

export interface LifecycleRoles {
  /** Garbage collection: reference claims and releases, and the collector's questions. */
  gc: GcStore;
  /** When manifests were last pulled (tag retention's "unless pulled recently"). */
  pullTimes: PullTimeStore;
}

export const lifecycleStore: ModuleStore<LifecycleRoles> = {
  name: 'lifecycle',
  migrations: [
    ['009-lifecycle', lifecycle009],
    ['011-pull-times', lifecycle011],
  ],
  createRoles: (db) => ({ gc: createGcStore(db), pullTimes: createPullTimeStore(db) }),
};
