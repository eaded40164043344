/**
 * Which signature or attestation follows which subject's verdict (../tables.ts
 * VerdictFollowersTable). Backfilled from the verdicts follow.ts wrote before this table
 * existed: their details say `follows its subject sha256:...`. Schema builder plus one read:
 * both dialects.
 */
import type { Kysely } from 'kysely';
import { keyText } from '../../../metadata/migrations/helpers.ts';

const FOLLOWS = /a signature or attestation: follows its subject (sha256:[0-9a-f]{64})/;

export async function up(db: Kysely<any>): Promise<void> {
  const key = keyText(db);
  await db.schema
    .createTable('verdict_followers')
    .addColumn('repository', key, (c) => c.notNull())
    .addColumn('digest', key, (c) => c.notNull())
    .addColumn('subject', key, (c) => c.notNull())
    .addPrimaryKeyConstraint('verdict_followers_pk', ['repository', 'digest'])
    .execute();
  await db.schema.createIndex('verdict_followers_subject').on('verdict_followers').columns(['repository', 'subject']).execute();
  const rows: { repository: string; digest: string; details: string | null }[] = await db
    .selectFrom('verdicts')
    .select(['repository', 'digest', 'details'])
    .where('details', 'like', '%a signature or attestation: follows its subject sha256:%')
    .execute();
  const links = rows.flatMap((r) => {
    const subject = FOLLOWS.exec(r.details ?? '')?.[1];
    return subject && subject !== r.digest ? [{ repository: r.repository, digest: r.digest, subject }] : [];
  });
  for (let i = 0; i < links.length; i += 300) await db.insertInto('verdict_followers').values(links.slice(i, i + 300)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('verdict_followers').execute();
}
