/**
 * The Kysely `Database` type of metadata's own tables (the content core: repositories, blob
 * links, manifests, tags, uploads, settings, audit). Other modules own their tables
 * (src/<module>/store/tables.ts) and type their SQL with `CoreTables & TheirTables`.
 */
import type { CoreTables } from './core.ts';

export type * from './core.ts';

export interface Database extends CoreTables {}
