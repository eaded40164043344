/**
 * AuditStore on SQL (contract: ../metadata-store.ts). Append-only: there is no update or
 * delete here, on purpose.
 *
 * Entries list newest first by (at, id). Ids are UUIDv7-shaped (48-bit millisecond time, then
 * a per-process counter and random bits), so entries appended in one millisecond still list in
 * reverse insertion order, and `last` (an id) is a stable cursor.
 */
import { randomBytes } from 'node:crypto';
import type { AuditEntry, AuditStore } from '../metadata-store.ts';
import type { AuditTable } from '../tables/index.ts';
import { pageSize, parseJson, toJson, type Db } from './common.ts';

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

const toEntry = (row: AuditTable): AuditEntry => {
  const entry: AuditEntry = { id: row.id, at: new Date(row.at), actor: row.actor, action: row.action, target: row.target };
  if (row.before_json !== null) entry.before = parseJson(row.before_json);
  if (row.after_json !== null) entry.after = parseJson(row.after_json);
  if (row.details_json !== null) entry.details = parseJson(row.details_json);
  if (row.request_id !== null) entry.requestId = row.request_id;
  return entry;
};

export function createAuditStore(db: Db): AuditStore {
  return {
    async append(input) {
      const at = input.at?.getTime() ?? Date.now();
      const row: AuditTable = {
        id: uuidV7(),
        at,
        actor: input.actor,
        action: input.action,
        target: input.target,
        before_json: toJson(input.before),
        after_json: toJson(input.after),
        details_json: toJson(input.details),
        request_id: input.requestId ?? null,
      };
      await db.insertInto('audit').values(row).execute();
      return toEntry(row);
    },

    async list(options = {}) {
      const n = pageSize(options);
      if (n === 0) return [];
      let q = db.selectFrom('audit').selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(n);
      if (options.action !== undefined) q = q.where('action', '=', options.action);
      if (options.actor !== undefined) q = q.where('actor', '=', options.actor);
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
