/**
 * The audit log's hash chain (docs/operations.md "Audit chain"). Pure: node:crypto only, so
 * the store, the migration that chained the entries from before it, the verify and export
 * routes and the CLI's offline check of an export file all compute the same thing.
 *
 * Each entry's `hash` is SHA-256 (hex) over the UTF-8 of its canonical encoding: the compact
 * JSON array
 *   ["lazaret.audit.v1", seq, id, at, actor, action, target, before, after, details, requestId, prevHash]
 * where `at` is milliseconds since the epoch, `before`/`after`/`details` are the entry's JSON
 * texts as stored (compact, as JSON.stringify writes them; null when the entry has none) and
 * `requestId` is a string or null. `prevHash` is the previous entry's hash (by seq), GENESIS
 * for seq 1. Changing any field of an entry changes its hash; deleting or moving one breaks the
 * next entry's link.
 */
import { createHash } from 'node:crypto';
import type { AuditTable } from './tables/core.ts';

/** The prevHash of the first entry: there is nothing before it. */
export const GENESIS_HASH = '0'.repeat(64);
const VERSION = 'lazaret.audit.v1';

/** An entry as it is hashed: the stored columns, JSON fields as their text. */
export interface ChainFields {
  seq: number;
  id: string;
  at: number;
  actor: string;
  action: string;
  target: string;
  beforeJson: string | null;
  afterJson: string | null;
  detailsJson: string | null;
  requestId: string | null;
  prevHash: string;
}

export interface ChainedRow extends ChainFields {
  hash: string;
}

/**
 * An audit row's columns as stored (the `audit` table, ./tables/core.ts; a type import, so this
 * file stays pure): the store, the migration that chained the older rows and the checks map a
 * row to the hashed fields here, in one place. `at` may come back as a string from a
 * PostgreSQL bigint in a migration, which sees no typed schema.
 */
export type AuditColumns = Omit<AuditTable, 'at' | 'seq' | 'prev_hash' | 'hash'> & { at: number | string };
export type ChainColumns = Pick<AuditTable, 'seq' | 'prev_hash' | 'hash'>;

/** The fields a row is hashed over, given its place in the chain. */
export function chainFieldsOf(row: AuditColumns, seq: number, prevHash: string): ChainFields {
  return {
    seq,
    id: row.id,
    at: Number(row.at),
    actor: row.actor,
    action: row.action,
    target: row.target,
    beforeJson: row.before_json,
    afterJson: row.after_json,
    detailsJson: row.details_json,
    requestId: row.request_id,
    prevHash,
  };
}

/** A chained row (one with a seq) as the checks read it. */
export function chainedRowOf(row: AuditColumns & ChainColumns): ChainedRow {
  return { ...chainFieldsOf(row, row.seq!, row.prev_hash!), hash: row.hash! };
}

/** The columns to store for hashed fields: the inverse of chainFieldsOf, with the hash. */
export function columnsOf(f: ChainFields): AuditColumns & ChainColumns & { at: number; seq: number } {
  return {
    id: f.id,
    at: f.at,
    actor: f.actor,
    action: f.action,
    target: f.target,
    before_json: f.beforeJson,
    after_json: f.afterJson,
    details_json: f.detailsJson,
    request_id: f.requestId,
    seq: f.seq,
    prev_hash: f.prevHash,
    hash: entryHash(f),
  };
}

export function entryHash(f: ChainFields): string {
  const canonical = JSON.stringify([VERSION, f.seq, f.id, f.at, f.actor, f.action, f.target, f.beforeJson, f.afterJson, f.detailsJson, f.requestId, f.prevHash]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

export type ChainProblem = 'hash-mismatch' | 'link-mismatch' | 'missing-entry' | 'unchained';

export interface ChainBreak {
  /** The first entry that does not verify (for a missing entry: the one after the gap). */
  id: string;
  seq: number | null;
  problem: ChainProblem;
  message: string;
}

export interface ChainReport {
  ok: boolean;
  /** Entries that verified (all of them when ok; those before the break otherwise). */
  entries: number;
  /** The last entry that verified: record it outside to detect a truncated tail later. */
  head: { seq: number; id: string; hash: string } | null;
  broken?: ChainBreak;
}

/**
 * Checks entries given in seq order. `start` is where the segment begins: the whole log
 * starts at seq 1 after GENESIS; an export that began later starts at its first line's seq and
 * prevHash (what came before is not in it, so that link is taken as given).
 */
export async function verifyChain(rows: AsyncIterable<ChainedRow> | Iterable<ChainedRow>, start?: { seq: number; prevHash: string }): Promise<ChainReport> {
  let expectedSeq = start?.seq ?? 1;
  let prevHash = start?.prevHash ?? GENESIS_HASH;
  let previous: ChainedRow | undefined;
  let entries = 0;
  const head = () => (previous ? { seq: previous.seq, id: previous.id, hash: previous.hash } : null);
  const broken = (row: ChainedRow, problem: ChainProblem, message: string): ChainReport => ({ ok: false, entries, head: head(), broken: { id: row.id, seq: row.seq, problem, message } });
  for await (const row of rows) {
    const before = previous ? `entry ${previous.id} (seq ${previous.seq})` : 'the start of the log';
    if (row.seq !== expectedSeq) {
      const missing = row.seq > expectedSeq ? (row.seq - expectedSeq === 1 ? `seq ${expectedSeq} is` : `seq ${expectedSeq} to ${row.seq - 1} are`) : undefined;
      return broken(row, 'missing-entry', missing
        ? `${missing} missing (deleted): the chain jumps from ${before} to entry ${row.id} (seq ${row.seq})`
        : `entry ${row.id} has seq ${row.seq} where seq ${expectedSeq} was expected (after ${before})`);
    }
    if (entryHash(row) !== row.hash) return broken(row, 'hash-mismatch', `entry ${row.id} (seq ${row.seq}) was modified: its content does not hash to its stored hash`);
    if (row.prevHash !== prevHash) {
      return broken(row, 'link-mismatch', `entry ${row.id} (seq ${row.seq}) does not link to ${before}: its prevHash differs from that entry's hash (one of the two was rewritten, or entries were moved)`);
    }
    previous = row;
    prevHash = row.hash;
    expectedSeq = row.seq + 1;
    entries++;
  }
  return { ok: true, entries, head: head() };
}

/**
 * One line of `GET /api/v1/audit/export` (JSON lines). `before`, `after`, `details` and
 * `requestId` are present exactly when the entry has them (a stored JSON `null` is present
 * as null), so the line gives back the texts that were hashed: JSON.stringify of each value.
 */
export interface ExportLine {
  seq: number;
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string;
  before?: unknown;
  after?: unknown;
  details?: unknown;
  requestId?: string;
  prevHash: string;
  hash: string;
}

export function exportLine(row: ChainedRow): ExportLine {
  return {
    seq: row.seq,
    id: row.id,
    at: new Date(row.at).toISOString(),
    actor: row.actor,
    action: row.action,
    target: row.target,
    ...(row.beforeJson !== null ? { before: JSON.parse(row.beforeJson) } : {}),
    ...(row.afterJson !== null ? { after: JSON.parse(row.afterJson) } : {}),
    ...(row.detailsJson !== null ? { details: JSON.parse(row.detailsJson) } : {}),
    ...(row.requestId !== null ? { requestId: row.requestId } : {}),
    prevHash: row.prevHash,
    hash: row.hash,
  };
}

/** The hashed fields of an export line (the inverse of exportLine). */
export function rowOfExportLine(line: ExportLine): ChainedRow {
  const text = (key: 'before' | 'after' | 'details') => (key in line ? JSON.stringify(line[key]) : null);
  return {
    seq: line.seq,
    id: line.id,
    at: Date.parse(line.at),
    actor: line.actor,
    action: line.action,
    target: line.target,
    beforeJson: text('before'),
    afterJson: text('after'),
    detailsJson: text('details'),
    requestId: line.requestId ?? null,
    prevHash: line.prevHash,
    hash: line.hash,
  };
}
