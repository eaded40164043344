/**
 * AuditStore on SQL (contract: ../metadata-store.ts). Append-only: there is no update or
 * delete here, on purpose. Each append reads the chain's head and writes the next link in one
 * transaction (the caller's, or its own), holding the lock that serializes appends (below).
 *
 * Entries list newest first by (at, id). Ids are UUIDv7-shaped (48-bit millisecond time, then
 * a per-process counter and random bits), so entries appended in one millisecond still list in
 * reverse insertion order, and `last` (an id) is a stable cursor.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { AuditEntry, AuditInput, AuditStore } from '../metadata-store.ts';
import type { AuditTable } from '../tables/index.ts';
import { chainedRowOf, columnsOf, GENESIS_HASH, type ChainFields } from '../audit-chain.ts';
import { isPostgres } from '../migrations/helpers.ts';
import { atomically, pageSize, parseJson, toJson, type Db } from './common.ts';

/**
 * First key of the PostgreSQL advisory lock serializing audit appends (the second is the
 * schema's name hashed, so deployments or test suites sharing a database in separate schemas
 * keep separate chains and do not wait for each other). Arbitrary; only has to be constant.
 */
const AUDIT_LOCK_CLASS = 0x1a2a_0010;

let lastMs = 0;
let counter = 0;

/** A time-ordered UUID (RFC 9562 version 7 layout, monotonic within this process). */
export function uuidV7(ms = Date.now()): string {
  if (ms <= lastMs) {
    ms = lastMs;
    counter++;
    if (counter > 0xfff) {
      ms = ++lastMs;
      counter = 0;
    }
  } else {
    lastMs = ms;
    counter = 0;
  }
  const bytes = randomBytes(16);
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Waits for the right to append: on PostgreSQL a transaction-scoped advisory lock (released
 * by the commit or rollback, never forgotten); on SQLite the transaction already holds the
 * database's write lock (db.ts begins every transaction immediate), across processes too.
 */
async function lockChain(tx: Db): Promise<void> {
  if (isPostgres(tx)) await sql`select pg_advisory_xact_lock(${AUDIT_LOCK_CLASS}, hashtext(current_schema()))`.execute(tx);
}

const toEntry = (row: AuditTable): AuditEntry => {
  const entry: AuditEntry = { id: row.id, at: new Date(row.at), actor: row.actor, action: row.action, target: row.target, seq: row.seq ?? 0, prevHash: row.prev_hash ?? '', hash: row.hash ?? '' };
  if (row.before_json !== null) entry.before = parseJson(row.before_json);
  if (row.after_json !== null) entry.after = parseJson(row.after_json);
  if (row.details_json !== null) entry.details = parseJson(row.details_json);
  if (row.request_id !== null) entry.requestId = row.request_id;
  return entry;
};

/** Rows per INSERT (12 columns each): well under both dialects' bind limits. */
const INSERT_ROWS = 200;

export function createAuditStore(db: Db): AuditStore {
  function appendMany(inputs: readonly AuditInput[]): Promise<AuditEntry[]> {
    if (inputs.length === 0) return Promise.resolve([]);
    return atomically(db, async (tx) => {
      await lockChain(tx);
      const head = await tx.selectFrom('audit').select(['seq', 'hash']).where('seq', 'is not', null).orderBy('seq', 'desc').limit(1).executeTakeFirst();
      let seq = head?.seq ?? 0;
      let prevHash = head?.hash ?? GENESIS_HASH;
      const rows: AuditTable[] = inputs.map((input) => {
        const fields: ChainFields = {
          seq: ++seq,
          id: uuidV7(),
          at: input.at?.getTime() ?? Date.now(),
          actor: input.actor,
          action: input.action,
          target: input.target,
          beforeJson: toJson(input.before),
          afterJson: toJson(input.after),
          detailsJson: toJson(input.details),
          requestId: input.requestId ?? null,
          prevHash,
        };
        const row = columnsOf(fields);
        prevHash = row.hash!;
        return row;
      });
      for (let i = 0; i < rows.length; i += INSERT_ROWS) await tx.insertInto('audit').values(rows.slice(i, i + INSERT_ROWS)).execute();
      return rows.map(toEntry);
    });
  }

  return {
    append: async (input) => (await appendMany([input]))[0]!,
    appendMany,

    async chain({ afterSeq, n }) {
      const limit = pageSize({ n: n ?? 1000 });
      if (limit === 0) return [];
      const rows = await db.selectFrom('audit').selectAll().where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
      return rows.map(chainedRowOf);
    },

    async firstSeqSince(at) {
      const row = await db.selectFrom('audit').select((eb) => eb.fn.min('seq').as('seq')).where('at', '>=', at.getTime()).executeTakeFirst();
      return row?.seq ?? undefined;
    },

    async firstUnchained() {
      return (await db.selectFrom('audit').select('id').where('seq', 'is', null).limit(1).executeTakeFirst())?.id;
    },

    async list(options = {}) {
      const n = pageSize(options);
      if (n === 0) return [];
      let q = db.selectFrom('audit').selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(n);
      if (options.action !== undefined) q = q.where('action', '=', options.action);
      if (options.actor !== undefined) q = q.where('actor', '=', options.actor);
      if (options.target !== undefined) q = q.where('target', '=', options.target);
      if (options.targetPrefix !== undefined) {
        const prefix = options.targetPrefix;
        // substr/length count characters on both dialects; LIKE would treat % and _ as
        // wildcards and is case-insensitive on SQLite.
        q = q.where((eb) => eb(eb.fn('substr', [eb.ref('target'), eb.val(1), eb.val([...prefix].length)]), '=', prefix));
      }
      if (options.last !== undefined) {
        const cursor = await db.selectFrom('audit').select(['at', 'id']).where('id', '=', options.last).executeTakeFirst();
        if (!cursor) return [];
        q = q.where((eb) => eb(eb.refTuple('at', 'id'), '<', eb.tuple(cursor.at, cursor.id)));
      }
      return (await q.execute()).map(toEntry);
    },
  };
}
