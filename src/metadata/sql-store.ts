/**
 * The store implemented once on Kysely, for SQLite and PostgreSQL alike.
 *
 * `createCoreRoles(db)` is the content core's list of role objects. A store is built from a
 * `StoreSchema`: its migrations and one function making ALL its role objects for a Kysely
 * handle (the core's and each module's, joined in src/persistence/). The same function builds
 * the top-level roles and, per transaction, roles bound to it, so every role object of every
 * module works inside `transaction(fn)` without further wiring.
 */
import type { Kysely } from 'kysely';
import type { CoreRoles, TransactionalStore } from './metadata-store.ts';
import type { Database } from './tables/index.ts';
import type { Dialect } from './db.ts';
import type { NamedMigration } from './migrations/index.ts';
import { createRepositoryStore } from './sql/repositories.ts';
import { createBlobLinkStore } from './sql/blob-links.ts';
import { createManifestStore } from './sql/manifests.ts';
import { createTagStore } from './sql/tags.ts';
import { createUploadStore } from './sql/uploads.ts';
import { createSettingsStore } from './sql/settings.ts';
import { createAuditStore } from './sql/audit.ts';
import { createTagListGenerationStore } from './sql/tag-list-generations.ts';

export function createCoreRoles(db: Kysely<Database>): CoreRoles {
  return {
    repositories: createRepositoryStore(db),
    blobs: createBlobLinkStore(db),
    manifests: createManifestStore(db),
    tags: createTagStore(db),
    uploads: createUploadStore(db),
    settings: createSettingsStore(db),
    audit: createAuditStore(db),
    tagListGenerations: createTagListGenerationStore(db),
  };
}

/**
 * What a store is made of. `createRoles` receives a handle typed for no table in particular:
 * each module types it with its own tables (`CoreTables & TheirTables`).
 */
export interface StoreSchema<R extends CoreRoles> {
  /** Every migration, in the one name order Kysely runs them in. */
  migrations: NamedMigration[];
  createRoles(db: Kysely<any>): R;
}

export function createSqlStore<R extends CoreRoles>(db: Kysely<any>, dialect: Dialect, schema: Pick<StoreSchema<R>, 'createRoles'>): TransactionalStore<R> {
  let closed = false;
  return {
    ...schema.createRoles(db),
    dialect,
    transaction<T>(fn: (tx: R) => Promise<T>) {
      if (db.isTransaction) throw new Error('nested MetadataStore transactions are not supported');
      return db.transaction().execute((tx) => fn(schema.createRoles(tx)));
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

