/**
 * The ordered list of migrations. Append only: a landed migration is never edited, a change
 * is a new file (NNN-area.ts) added at the end of this list. Names are what Kysely records in
 * its `kysely_migration` table, so they never change either.
 */
import type { Migration } from 'kysely';
import * as core from './001-core.ts';
import * as identity from './002-identity.ts';
import * as quarantine from './003-quarantine.ts';
import * as events from './004-events.ts';

export const migrations: [name: string, migration: Migration][] = [
  ['001-core', core],
  ['002-identity', identity],
  ['003-quarantine', quarantine],
  ['004-events', events],
];
