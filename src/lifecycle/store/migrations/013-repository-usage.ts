/**
 * 013-repository-usage: each repository's usage as a running total (docs/storage-lifecycle.md
 * "Quotas"), so a quota check reads one row instead of summing the repository's links and
 * manifests on every push.
 *
 * The total is kept by triggers on the two tables it counts, not by the code that writes them:
 * blob links and manifests are written by the content core, by the collector, by a restore from
 * the recycle bin and by `lazaret verify --repair` (which runs beside the server on the database
 * alone), and a writer added later cannot forget a trigger. Each trigger applies the counting
 * rule of ../usage-count.ts to the rows it sees: a link adds its size (less its manifest's size
 * when a manifest of that digest was counted on its own); a manifest adds its size unless it is
 * also a link; removals subtract the same. The columns counted never change in place (a guard
 * trigger refuses an UPDATE of them), so inserts and deletes are every change there is.
 *
 * SQLite: row triggers (an UPDATE of one row is an in-place write there). PostgreSQL: statement
 * triggers over transition tables, one upsert per statement and repository, because a repository
 * delete removes thousands of rows in one statement, and updating one row thousands of times in
 * one transaction leaves a version chain PostgreSQL walks on every update. The upsert takes the
 * usage row's lock, so concurrent transactions add to each other's totals (`bytes = bytes + n`
 * on the latest version), never over them.
 *
 * Raw SQL per dialect (triggers have no schema builder), then the backfill with the shared rule.
 */
import { sql, type Kysely } from 'kysely';
import { isPostgres, keyText } from '../../../metadata/migrations/helpers.ts';
import { countedUsage } from '../usage-count.ts';

const FIXED = 'repository, digest and size of a blob link or a manifest never change (repository_usage counts them): delete and insert instead';

const sqliteTriggers = [
  `create trigger repository_usage_link_added after insert on blob_links begin
     insert into repository_usage (repository, bytes)
     values (new.repository, new.size - coalesce((select m.size from manifests m where m.repository = new.repository and m.digest = new.digest), 0))
     on conflict (repository) do update set bytes = bytes + excluded.bytes;
   end`,
  `create trigger repository_usage_link_removed after delete on blob_links begin
     update repository_usage set bytes = bytes - old.size + coalesce((select m.size from manifests m where m.repository = old.repository and m.digest = old.digest), 0)
     where repository = old.repository;
   end`,
  `create trigger repository_usage_manifest_added after insert on manifests
   when not exists (select 1 from blob_links l where l.repository = new.repository and l.digest = new.digest) begin
     insert into repository_usage (repository, bytes) values (new.repository, new.size)
     on conflict (repository) do update set bytes = bytes + excluded.bytes;
   end`,
  `create trigger repository_usage_manifest_removed after delete on manifests
   when not exists (select 1 from blob_links l where l.repository = old.repository and l.digest = old.digest) begin
     update repository_usage set bytes = bytes - old.size where repository = old.repository;
   end`,
  ...['blob_links', 'manifests'].map(
    (table) => `create trigger repository_usage_${table}_fixed before update of repository, digest, size on ${table}
     when old.repository is not new.repository or old.digest is not new.digest or old.size is not new.size begin
       select raise(abort, '${FIXED}');
     end`,
  ),
];

// Deletes update only an existing row (a usage row is never created by a removal: during a
// cascade from repositories it may already be gone, and must stay gone).
const postgresFunctions: Record<string, string> = {
  repository_usage_links_added: `insert into repository_usage as u (repository, bytes)
      select n.repository, sum(n.size - coalesce(m.size, 0)) from lz_added n
      left join manifests m on m.repository = n.repository and m.digest = n.digest
      group by n.repository order by n.repository
      on conflict (repository) do update set bytes = u.bytes + excluded.bytes`,
  repository_usage_links_removed: `update repository_usage u set bytes = u.bytes - d.n
      from (select o.repository, sum(o.size - coalesce(m.size, 0)) as n from lz_removed o
            left join manifests m on m.repository = o.repository and m.digest = o.digest
            group by o.repository) d
      where u.repository = d.repository`,
  repository_usage_manifests_added: `insert into repository_usage as u (repository, bytes)
      select n.repository, sum(n.size) from lz_added n
      where not exists (select 1 from blob_links l where l.repository = n.repository and l.digest = n.digest)
      group by n.repository order by n.repository
      on conflict (repository) do update set bytes = u.bytes + excluded.bytes`,
  repository_usage_manifests_removed: `update repository_usage u set bytes = u.bytes - d.n
      from (select o.repository, sum(o.size) as n from lz_removed o
            where not exists (select 1 from blob_links l where l.repository = o.repository and l.digest = o.digest)
            group by o.repository) d
      where u.repository = d.repository`,
};

const postgresStatements = [
  ...Object.entries(postgresFunctions).map(([name, body]) => `create function ${name}() returns trigger language plpgsql as $$ begin ${body}; return null; end $$`),
  `create function repository_usage_fixed() returns trigger language plpgsql as $$ begin raise exception '%: ${FIXED}', tg_table_name; end $$`,
  ...(['blob_links', 'manifests'] as const).flatMap((table) => {
    const fn = table === 'blob_links' ? 'links' : 'manifests';
    return [
      `create trigger repository_usage_${fn}_added after insert on ${table} referencing new table as lz_added for each statement execute function repository_usage_${fn}_added()`,
      `create trigger repository_usage_${fn}_removed after delete on ${table} referencing old table as lz_removed for each statement execute function repository_usage_${fn}_removed()`,
      `create trigger repository_usage_${fn}_fixed before update on ${table} for each row
         when (old.repository is distinct from new.repository or old.digest is distinct from new.digest or old.size is distinct from new.size)
         execute function repository_usage_fixed()`,
    ];
  }),
];

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('repository_usage')
    .addColumn('repository', keyText(db), (c) => c.primaryKey().references('repositories.name').onDelete('cascade'))
    .addColumn('bytes', 'bigint', (c) => c.notNull())
    .execute();
  // Triggers first: on PostgreSQL creating them locks both tables against writers until this
  // migration commits, so the backfill below counts a state no push changes under it.
  for (const statement of isPostgres(db) ? postgresStatements : sqliteTriggers) await sql.raw(statement).execute(db);
  await db
    .insertInto('repository_usage')
    .columns(['repository', 'bytes'])
    .expression(db.selectFrom('repositories as r').select((eb) => ['r.name', countedUsage(eb.ref('r.name')).as('bytes')]))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) {
    for (const table of ['blob_links', 'manifests']) {
      const fn = table === 'blob_links' ? 'links' : 'manifests';
      for (const t of ['added', 'removed', 'fixed']) await sql.raw(`drop trigger repository_usage_${fn}_${t} on ${table}`).execute(db);
    }
    for (const name of [...Object.keys(postgresFunctions), 'repository_usage_fixed']) await sql.raw(`drop function ${name}()`).execute(db);
  } else {
    for (const t of ['link_added', 'link_removed', 'manifest_added', 'manifest_removed', 'blob_links_fixed', 'manifests_fixed']) await sql.raw(`drop trigger repository_usage_${t}`).execute(db);
  }
  await db.schema.dropTable('repository_usage').execute();
}
