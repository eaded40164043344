/**
 * The scanner's own small SQLite database (<data dir>/scanner.sqlite): scan jobs with their
 * results, and each scanned manifest's inventory by digest, so a rescan of the same manifest
 * (after a database change) re-matches without pulling again. A job's registry credential is
 * kept only while the job is pending (a restart re-runs interrupted jobs) and erased when it ends.
 */
import Database from 'better-sqlite3';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Inventory } from '../types.ts';
import type { ScanRequest } from './scan-request.ts';

export type JobState = 'queued' | 'running' | 'done' | 'failed';

export interface StoredInventory {
  mediaType: string;
  inventory: Inventory;
  layers: { digest: string; diffId?: string }[];
}

export interface JobResult {
  /** The Harbor vulnerability report, or why none could be made (e.g. NO_DATABASE). */
  vulnerability: { report: unknown } | { error: string };
  /** SBOM documents by media type. */
  sboms: Record<string, unknown>;
}

export interface Job {
  id: string;
  state: JobState;
  request: ScanRequest;
  createdAt: number;
  error?: string;
  result?: JobResult;
}

interface JobRow {
  id: string;
  state: JobState;
  request: string;
  authorization: string | null;
  created_at: number;
  error: string | null;
  result: string | null;
}

export class JobStore {
  private readonly db: Database.Database;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const file = join(dataDir, 'scanner.sqlite');
    this.db = new Database(file);
    chmodSync(file, 0o600);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY, state TEXT NOT NULL, request TEXT NOT NULL, authorization TEXT,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, error TEXT, result TEXT);
      CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, created_at);
      CREATE TABLE IF NOT EXISTS inventories (
        manifest_digest TEXT PRIMARY KEY, inventory TEXT NOT NULL, layers TEXT NOT NULL, created_at INTEGER NOT NULL);
    `);
  }

  create(request: ScanRequest, now = Date.now()): string {
    const id = crypto.randomUUID();
    const { authorization, ...rest } = request.registry;
    this.db
      .prepare('INSERT INTO jobs (id, state, request, authorization, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(id, 'queued', JSON.stringify({ ...request, registry: rest }), authorization ?? null, now, now);
    return id;
  }

  get(id: string): Job | undefined {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row ? toJob(row) : undefined;
  }

  /** Jobs not finished (queued, or running when the process stopped), oldest first. */
  pending(): Job[] {
    const rows = this.db.prepare("SELECT * FROM jobs WHERE state IN ('queued', 'running') ORDER BY created_at").all() as JobRow[];
    return rows.map(toJob);
  }

  markRunning(id: string): void {
    this.db.prepare("UPDATE jobs SET state = 'running', updated_at = ? WHERE id = ?").run(Date.now(), id);
  }

  finish(id: string, result: JobResult): void {
    this.db.prepare("UPDATE jobs SET state = 'done', result = ?, authorization = NULL, updated_at = ? WHERE id = ?").run(JSON.stringify(result), Date.now(), id);
  }

  fail(id: string, error: string): void {
    this.db.prepare("UPDATE jobs SET state = 'failed', error = ?, authorization = NULL, updated_at = ? WHERE id = ?").run(error, Date.now(), id);
  }

  /** Forgets jobs created before the cutoff (their report ids then answer 404). */
  expire(before: number): number {
    return this.db.prepare('DELETE FROM jobs WHERE created_at < ?').run(before).changes;
  }

  inventory(manifestDigest: string): StoredInventory | undefined {
    const row = this.db.prepare('SELECT inventory, layers FROM inventories WHERE manifest_digest = ?').get(manifestDigest) as { inventory: string; layers: string } | undefined;
    if (!row) return undefined;
    const { mediaType, inventory } = JSON.parse(row.inventory);
    return { mediaType, inventory, layers: JSON.parse(row.layers) };
  }

  saveInventory(manifestDigest: string, stored: StoredInventory): void {
    this.db
      .prepare('INSERT INTO inventories (manifest_digest, inventory, layers, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (manifest_digest) DO UPDATE SET inventory = excluded.inventory, layers = excluded.layers, created_at = excluded.created_at')
      .run(manifestDigest, JSON.stringify({ mediaType: stored.mediaType, inventory: stored.inventory }), JSON.stringify(stored.layers), Date.now());
  }

  close(): void {
    this.db.close();
  }
}

function toJob(row: JobRow): Job {
  const request = JSON.parse(row.request) as ScanRequest;
  if (row.authorization) request.registry.authorization = row.authorization;
  const job: Job = { id: row.id, state: row.state, request, createdAt: row.created_at };
  if (row.error) job.error = row.error;
  if (row.result) job.result = JSON.parse(row.result);
  return job;
}
