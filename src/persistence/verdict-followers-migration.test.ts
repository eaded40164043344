/**
 * 021-verdict-followers on a database from before it: the signatures follow.ts had already
 * made followers (their verdict details say so) are recorded, so an old signature whose cosign
 * tag has moved on follows its subject's next verdict. SQLite and PostgreSQL (a fresh schema).
 */
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import { allMigrations, type MetadataStore } from './index.ts';
import { migrateToLatest } from '../metadata/db.ts';
import { imageManifest, dg } from '../metadata/suite/context.ts';
import { onEachDialect } from '../../test/helpers/fresh-databases.ts';
const before021 = allMigrations().filter(([name]) => name < '021');
const subject = dg('image');
const details = (text: string) => JSON.stringify({ state: text });

async function writeOldVerdicts(db: Kysely<any>): Promise<void> {
  await migrateToLatest(db, before021);
  const row = (digest: string, text: string | null) => ({ repository: 'team/app', digest, state: 'Passed', details: text, updated_at: 1000, updated_by: 'system' });
  await db.insertInto('verdicts').values([
    row(dg('old-sig'), details(`a signature or attestation: follows its subject ${subject}`)),
    row(dg('report'), details(`a scan report: follows its subject ${subject}`)),
    row(dg('plain'), details('scan passed')),
    row(dg('none'), null),
  ]).execute();
  await db.destroy();
}

async function checkRecorded(store: MetadataStore): Promise<void> {
  for (const l of ['old-sig', 'report', 'plain', 'none']) await store.manifests.put('team/app', imageManifest(l));
  assert.deepEqual(await store.verdicts.followersOf('team/app', subject), [dg('old-sig')], 'only signatures and attestations (reports are linked by their scan)');
  assert.deepEqual([...(await store.verdicts.followed('team/app', [dg('old-sig'), dg('plain')])).entries()], [[dg('old-sig'), subject]]);
}

onEachDialect('021-verdict-followers records the followers written before it', async (db) => {
  await writeOldVerdicts(await db.raw());
  const store = await db.store();
  try {
    await checkRecorded(store);
  } finally {
    await store.close();
  }
});
