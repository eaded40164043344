/**
 * The application's metadata store: metadata's content core joined with the persistence each
 * module owns (auth's identities, quarantine's verdicts, events' webhooks/outbox/held pushes).
 *
 * This is the one place that knows every module's store; metadata itself knows none of them
 * (no import circle). A module adding tables adds its `ModuleStore` to `modules` below and its
 * roles to `StoreRoles`; its conformance section goes to ./store-suite.ts. How-to:
 * docs/architecture.md ("Adding a table").
 */
import type { Kysely } from 'kysely';
import type { LazaretConfig } from '../config/schema.ts';
import type { CoreRoles, TransactionalStore } from '../metadata/metadata-store.ts';
import type { ModuleStore } from '../metadata/module-store.ts';
import type { PostgresOptions } from '../metadata/db.ts';
import { coreMigrations, type NamedMigration } from '../metadata/migrations/index.ts';
import { createCoreRoles, type StoreSchema } from '../metadata/sql-store.ts';
import { openPostgresStoreOf, openSqliteStoreOf, openStore } from '../metadata/open-metadata-store.ts';
import { authStore, type IdentityRoles } from '../auth/store/index.ts';
import { quarantineStore, type QuarantineRoles } from '../quarantine/store/index.ts';
import { eventsStore, type EventRoles } from '../events/store/index.ts';
import { scanStore, type ScanRoles } from '../scan/store/index.ts';
import { operationsStore, type OperationsRoles } from './operations.ts';
import type { StoreObservers } from '../metadata/open-metadata-store.ts';
import { storageStore, type StorageRoles } from '../storage/store/index.ts';
import { releasePolicyStore, type ReleasePolicyRoles } from '../release-policy/store/index.ts';
import { lifecycleStore, type LifecycleRoles } from '../lifecycle/store/index.ts';

export { isPostgresUrl, postgresOptionsFromUrl } from '../metadata/open-metadata-store.ts';
export { migrateSchema, schemaStatus, schemaTargetOf, withDatabase } from './schema-admin.ts';
export type { OperationsSnapshot } from './operations-store.ts';

/** Every role object of the application's store, and of each transaction's `tx`. */
export interface StoreRoles extends CoreRoles, IdentityRoles, QuarantineRoles, EventRoles, ScanRoles, OperationsRoles, StorageRoles, ReleasePolicyRoles, LifecycleRoles {}

export type MetadataStore = TransactionalStore<StoreRoles>;

// operationsStore reads every module's tables (registry-wide aggregates) and owns none.
const modules: ModuleStore<object>[] = [authStore, quarantineStore, eventsStore, scanStore, operationsStore, storageStore, releasePolicyStore, lifecycleStore];

/** Every migration in the order Kysely runs them (one NNN sequence across modules). */
export function allMigrations(): NamedMigration[] {
  return [...coreMigrations, ...modules.flatMap((m) => m.migrations)].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function createRoles(db: Kysely<any>): StoreRoles {
  const roles: Record<string, unknown> = { ...createCoreRoles(db) };
  for (const module of modules) {
    for (const [name, role] of Object.entries(module.createRoles(db))) {
      if (name in roles) throw new Error(`store role ${name} of module ${module.name} is already taken`);
      roles[name] = role;
    }
  }
  return roles as unknown as StoreRoles;
}

export const storeSchema: StoreSchema<StoreRoles> = { migrations: allMigrations(), createRoles };

/** The migrations this version knows, in order (what /readyz and `lazaret migrate` compare with). */
export const KNOWN_MIGRATIONS: readonly string[] = storeSchema.migrations.map(([name]) => name);

export const openMetadataStore = (config: Pick<LazaretConfig, 'databaseUrl'>, dataDir: string, observers: StoreObservers = {}): Promise<MetadataStore> => openStore(storeSchema, config, dataDir, observers);
export const openSqliteStore = (file: string): Promise<MetadataStore> => openSqliteStoreOf(storeSchema, file);
export const openPostgresStore = (options: PostgresOptions): Promise<MetadataStore> => openPostgresStoreOf(storeSchema, options);
