/**
 * 010-audit-chain: the audit log becomes a hash chain (src/metadata/audit-chain.ts). Adds
 * `seq` (the entry's place, unique), `prev_hash` and `hash`, then chains the entries written
 * before this version in the order the log lists them (at, id), the first after GENESIS_HASH.
 * From here on the store assigns the three fields on every append.
 *
 * The columns stay nullable (SQLite cannot add a NOT NULL column to a table with rows without
 * rebuilding it): a row without a seq can only have been written around the store, and
 * `audit verify` reports it as unchained.
 */
import type { Kysely } from 'kysely';
import { chainFieldsOf, entryHash, GENESIS_HASH, type AuditColumns } from '../audit-chain.ts';

const BATCH = 1000;

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('audit').addColumn('seq', 'bigint').execute();
  await db.schema.alterTable('audit').addColumn('prev_hash', 'text').execute();
  await db.schema.alterTable('audit').addColumn('hash', 'text').execute();
  await db.schema.createIndex('audit_seq').on('audit').column('seq').unique().execute();

  let seq = 0;
  let prevHash = GENESIS_HASH;
  let cursor: { at: number; id: string } | undefined;
  for (;;) {
    let q = db.selectFrom('audit').selectAll().orderBy('at').orderBy('id').limit(BATCH);
    if (cursor) {
      const { at, id } = cursor;
      q = q.where((eb) => eb(eb.refTuple('at', 'id'), '>', eb.tuple(at, id)));
    }
    // The columns as they were at this version (the migration sees no typed schema).
    const rows = (await q.execute()) as AuditColumns[];
    for (const row of rows) {
      seq++;
      const hash = entryHash(chainFieldsOf(row, seq, prevHash));
      await db.updateTable('audit').set({ seq, prev_hash: prevHash, hash }).where('id', '=', row.id).execute();
      prevHash = hash;
      cursor = { at: Number(row.at), id: row.id };
    }
    if (rows.length < BATCH) break;
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('audit_seq').execute();
  await db.schema.alterTable('audit').dropColumn('hash').execute();
  await db.schema.alterTable('audit').dropColumn('prev_hash').execute();
  await db.schema.alterTable('audit').dropColumn('seq').execute();
}
