/**
 * The Kysely `Database` type: every area's tables joined. An area adds its tables in
 * `tables/<area>.ts` and one `extends` here (e.g. `IdentityTables`).
 */
import type { CoreTables } from './core.ts';

export type * from './core.ts';

export interface Database extends CoreTables {}
