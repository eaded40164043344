/**
 * Metadata's own migrations (the content core). Append only: a landed migration is never
 * edited, a change is a new file (NNN-area.ts). Names are what Kysely records in its
 * `kysely_migration` table, so they never change either.
 *
 * Numbers are ONE sequence across every module (Kysely runs migrations in name order): a
 * module's migrations live in its own folder (src/<module>/store/migrations/) and take the
 * next free number; src/persistence/ joins the lists and refuses duplicates or a list out of
 * order.
 */
import type { Migration } from 'kysely';
import * as core from './001-core.ts';
import * as uploadOwner from './006-upload-owner.ts';
import * as auditChain from './010-audit-chain.ts';
import * as tagListGenerations from './017-tag-list-generations.ts';
import * as auditTarget from './018-audit-target.ts';
import * as blobLinksByDigest from './022-blob-links-by-digest.ts';

export type NamedMigration = [name: string, migration: Migration];

export const coreMigrations: NamedMigration[] = [['001-core', core], ['006-upload-owner', uploadOwner], ['010-audit-chain', auditChain], ['017-tag-list-generations', tagListGenerations], ['018-audit-target', auditTarget], ['022-blob-links-by-digest', blobLinksByDigest]];
