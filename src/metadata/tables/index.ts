/**
 * The Kysely `Database` type: every area's tables joined. An area adds its tables in
 * `tables/<area>.ts` and one `extends` here (e.g. `IdentityTables`).
 */
import type { CoreTables } from './core.ts';
import type { EventsTables } from './events.ts';
import type { IdentityTables } from './identity.ts';
import type { QuarantineTables } from './quarantine.ts';

export type * from './core.ts';
export type * from './events.ts';
export type * from './identity.ts';
export type * from './quarantine.ts';

export interface Database extends CoreTables, IdentityTables, QuarantineTables, EventsTables {}
