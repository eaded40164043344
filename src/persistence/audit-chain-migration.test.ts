/**
 * 010-audit-chain on a database with audit entries from before it: the migration chains them
 * in the order the log lists them, and appends after it continue the chain. SQLite and
 * PostgreSQL (a fresh schema).
 */
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import { allMigrations, type MetadataStore } from './index.ts';
import { migrateToLatest } from '../metadata/db.ts';
import { GENESIS_HASH, verifyChain } from '../metadata/audit-chain.ts';
import { onEachDialect } from '../../test/helpers/fresh-databases.ts';
const before010 = allMigrations().filter(([name]) => name < '010');

/** Three entries as a version before 010 wrote them (no chain columns), out of insertion order in time. */
async function writeOldEntries(db: Kysely<any>): Promise<void> {
  await migrateToLatest(db, before010);
  const row = (id: string, at: number, action: string) => ({ id, at, actor: 'admin', action, target: 'policy:quarantine', before_json: null, after_json: '{"enabled":true}', details_json: null, request_id: 'r1' });
  await db.insertInto('audit').values([row('0190-b', 2000, 'policy.change'), row('0190-a', 1000, 'user.create'), row('0190-c', 2000, 'verdict.change')]).execute();
  await db.destroy();
}

async function checkChained(store: MetadataStore): Promise<void> {
  const rows = await store.audit.chain({ afterSeq: 0 });
  assert.deepEqual(rows.map((r) => [r.seq, r.id]), [[1, '0190-a'], [2, '0190-b'], [3, '0190-c']], 'chained in the order the log lists them (at, id)');
  assert.equal(rows[0]!.prevHash, GENESIS_HASH);
  const next = await store.audit.append({ actor: 'admin', action: 'x.after', target: 't' });
  assert.equal(next.seq, 4);
  assert.equal(next.prevHash, rows[2]!.hash);
  const report = await verifyChain(await store.audit.chain({ afterSeq: 0 }));
  assert.deepEqual({ ok: report.ok, entries: report.entries }, { ok: true, entries: 4 });
}

onEachDialect('010-audit-chain chains the entries written before it', async (db) => {
  await writeOldEntries(await db.raw());
  const store = await db.store();
  try {
    await checkChained(store);
  } finally {
    await store.close();
  }
});
