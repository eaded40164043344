/**
 * The storage-lifecycle module's persistence: garbage collection's tombstones, link states and
 * runs (contract: ../gc/gc-store.ts; migration 009-lifecycle), manifests' last pull times
 * (../retention/pull-time-store.ts, migration 011-pull-times) and the recycle bin
 * (../recycle-bin/recycle-bin-store.ts, migration 012-recycle-bin) and repositories' usage
 * (../quota/quota-store.ts, migration 013-repository-usage), and the collector's indexes by digest
 * (migration 023-any-repository-indexes); tables: tables.ts;
 * conformance section: suite.ts.
 */
import type { ModuleStore } from '../../metadata/module-store.ts';
import type { GcStore } from '../gc/gc-store.ts';
import * as lifecycle009 from './migrations/009-lifecycle.ts';
import * as lifecycle011 from './migrations/011-pull-times.ts';
import * as lifecycle012 from './migrations/012-recycle-bin.ts';
import * as lifecycle013 from './migrations/013-repository-usage.ts';
import * as lifecycle023 from './migrations/023-any-repository-indexes.ts';
import { createGcStore } from './gc-sql.ts';
import type { PullTimeStore } from '../retention/pull-time-store.ts';
import { createPullTimeStore } from './pulls-sql.ts';
import type { RecycleBinStore } from '../recycle-bin/recycle-bin-store.ts';
import { createRecycleBinStore } from './recycle-bin-sql.ts';
import type { QuotaStore } from '../quota/quota-store.ts';
import { createQuotaStore } from './quota-sql.ts';

export interface LifecycleRoles {
  /** Garbage collection: reference claims and releases, and the collector's questions. */
  gc: GcStore;
  /** When manifests were last pulled (tag retention's "unless pulled recently"). */
  pullTimes: PullTimeStore;
  /** Soft-deleted manifests (docs/storage-lifecycle.md "Soft delete"). */
  recycleBin: RecycleBinStore;
  /** Repository usage and the quota lock (docs/storage-lifecycle.md "Quotas"). */
  quotas: QuotaStore;
}

export const lifecycleStore: ModuleStore<LifecycleRoles> = {
  name: 'lifecycle',
  migrations: [
    ['009-lifecycle', lifecycle009],
    ['011-pull-times', lifecycle011],
    ['012-recycle-bin', lifecycle012],
    ['013-repository-usage', lifecycle013],
    ['023-any-repository-indexes', lifecycle023],
  ],
  createRoles: (db) => ({ gc: createGcStore(db), pullTimes: createPullTimeStore(db), recycleBin: createRecycleBinStore(db), quotas: createQuotaStore(db) }),
};
