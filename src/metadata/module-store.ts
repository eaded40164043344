/**
 * Module-owned persistence: how a module (events, quarantine, auth, scan jobs...) keeps its
 * own tables in the metadata database without metadata knowing about it.
 *
 * A module exports one `ModuleStore` (src/<module>/store/index.ts): its migrations and a
 * factory for its role objects. src/persistence/ joins the core and every module's store into
 * the application's `MetadataStore`, so a module's role objects appear on the store and on
 * every transaction's `tx` (its changes commit together with the core's and the outbox's).
 *
 * Rules (docs/architecture.md, "Adding a table"):
 * - Tables: `src/<module>/store/tables.ts`, typed with `CoreTables & TheirTables` (a module
 *   may reference the core's tables, e.g. a foreign key to repositories; never another
 *   module's).
 * - Migrations: `src/<module>/store/migrations/NNN-<module>.ts`. NNN is one sequence across
 *   all modules (Kysely runs migrations in name order); take the next free number. Landed
 *   migrations are never renamed or edited.
 * - Role names are unique across modules (src/persistence/ refuses duplicates).
 */
import type { Kysely } from 'kysely';
import type { NamedMigration } from './migrations/index.ts';

export interface ModuleStore<R> {
  /** For error messages: `events`, `quarantine`, ... */
  name: string;
  migrations: NamedMigration[];
  /** The module's role objects on a handle (top-level or one transaction's). */
  createRoles(db: Kysely<any>): R;
}
