/**
 * 013-repository-usage on a database with content from before it (SQLite and PostgreSQL): the
 * migration runs after the later-numbered 017 and 020 already ran, backfills each repository's
 * usage with the counting rule, and from then on the triggers keep it: a change that bypasses
 * the stores (`lazaret verify --repair` drops links across repositories in one statement) is
 * counted, an UPDATE of a counted column is refused, and a recount corrects a total that was
 * made wrong behind the triggers' back.
 */
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import type { MetadataStore } from './index.ts';
import { dg, imageManifest } from '../metadata/suite/context.ts';
import { down as undo013 } from '../lifecycle/store/migrations/013-repository-usage.ts';
import { onEachDialect } from '../../test/helpers/fresh-databases.ts';

/** Content written through the stores, then the database put back to "before 013". */
async function writeContent(store: MetadataStore): Promise<void> {
  await store.blobs.link('a/one', dg('config'), 100);
  await store.blobs.link('a/one', dg('layer'), 1000);
  await store.manifests.put('a/one', { ...imageManifest('img', [dg('config'), dg('layer')]), size: 400 });
  // A manifest also uploaded as a blob counts once.
  await store.blobs.link('a/one', dg('both'), 50);
  await store.manifests.put('a/one', { ...imageManifest('both', []), digest: dg('both'), size: 50 });
  await store.blobs.link('b/two', dg('layer'), 1000);
  await store.repositories.ensure('c/empty');
  await store.close();
}

async function before013(db: Kysely<any>): Promise<void> {
  await undo013(db);
  await db.deleteFrom('kysely_migration').where('name', '=', '013-repository-usage').execute();
  const later = await db.selectFrom('kysely_migration').select('name').where('name', '>', '013').execute();
  assert.ok(later.length >= 2, 'migrations numbered after 013 are recorded as run');
  await db.destroy();
}

async function check(store: MetadataStore, raw: Kysely<any>): Promise<void> {
  assert.deepEqual(
    [await store.quotas.usage('a/one'), await store.quotas.usage('b/two'), await store.quotas.usage('c/empty')],
    [1550, 1000, 0],
    'backfilled: each blob once, a manifest not linked by its size',
  );
  for (const r of ['a/one', 'b/two', 'c/empty']) assert.equal((await store.quotas.recount(r))?.stored, (await store.quotas.recount(r))?.counted);

  // verify --repair's statement: one delete across repositories, beside the stores.
  await raw.deleteFrom('blob_links').where('digest', 'in', [dg('layer'), dg('both')]).execute();
  assert.deepEqual([await store.quotas.usage('a/one'), await store.quotas.usage('b/two')], [550, 0], 'a link of the manifest "both" dropped: it counts by its own size again');

  await assert.rejects(raw.updateTable('blob_links').set({ size: 1 }).where('repository', '=', 'a/one').execute(), /never change/);
  await assert.rejects(raw.updateTable('manifests').set({ size: 1 }).where('repository', '=', 'a/one').execute(), /never change/);

  await raw.updateTable('repository_usage').set({ bytes: 7 }).where('repository', '=', 'a/one').execute();
  assert.deepEqual(await store.quotas.recount('a/one'), { repository: 'a/one', stored: 7, counted: 550 });
  assert.equal(await store.quotas.usage('a/one'), 550);
}

onEachDialect('013-repository-usage on content from before it', async (db) => {
  await writeContent(await db.store());
  await before013(await db.raw());
  const store = await db.store();
  const raw = await db.raw();
  try {
    await check(store, raw);
  } finally {
    await raw.destroy();
    await store.close();
  }
});
