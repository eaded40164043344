/**
 * OperationsStore on SQL (contract: ./operations-store.ts). Aggregates only; no per-row reads.
 * It reads the core's and the modules' tables (events, quarantine) and owns none, so it lives
 * here, where every module's store is known, as a module without migrations.
 */
import { sql, type Kysely } from 'kysely';
import type { ModuleStore } from '../metadata/module-store.ts';
import type { CoreTables } from '../metadata/tables/index.ts';
import type { EventsTables } from '../events/store/index.ts';
import type { QuarantineTables } from '../quarantine/store/index.ts';
import type { ScanTables } from '../scan/store/index.ts';
import type { OperationsStore } from './operations-store.ts';

type Db = Kysely<CoreTables & EventsTables & QuarantineTables & ScanTables>;

export interface OperationsRoles {
  /** Registry-wide aggregates for metrics, readiness and `lazaret status`. */
  operations: OperationsStore;
}

export const operationsStore: ModuleStore<OperationsRoles> = {
  name: 'operations',
  migrations: [],
  createRoles: (db) => ({ operations: createOperationsStore(db) }),
};

const num = (v: unknown) => Number(v ?? 0);

export function createOperationsStore(db: Db): OperationsStore {
  return {
    async snapshot() {
      const [counts, blobs, verdicts, outbox, scans] = await Promise.all([
        db
          .selectNoFrom((eb) => [
            eb.selectFrom('repositories').select(eb.fn.countAll().as('n')).as('repositories'),
            eb.selectFrom('manifests').select(eb.fn.countAll().as('n')).as('manifests'),
            eb.selectFrom('tags').select(eb.fn.countAll().as('n')).as('tags'),
            eb.selectFrom('uploads').select(eb.fn.countAll().as('n')).as('uploads'),
          ])
          .executeTakeFirstOrThrow(),
        // A blob linked from several repositories is stored once: count each digest once.
        db
          .selectFrom(db.selectFrom('blob_links').select((eb) => ['digest', eb.fn.max('size').as('size')]).groupBy('digest').as('b'))
          .select((eb) => [eb.fn.countAll().as('count'), eb.fn.sum('b.size').as('bytes')])
          .executeTakeFirstOrThrow(),
        db.selectFrom('verdicts').select((eb) => ['state', eb.fn.countAll().as('n')]).groupBy('state').execute(),
        db
          .selectFrom('webhook_deliveries')
          .select((eb) => [
            eb.fn.countAll().filterWhere('state', 'in', ['pending', 'delivering']).as('pending'),
            eb.fn.min('created_at').filterWhere('state', 'in', ['pending', 'delivering']).as('oldest'),
            eb.fn.countAll().filterWhere('state', '=', 'failed').as('failed'),
          ])
          .executeTakeFirstOrThrow(),
        // Only active jobs (the due index's state prefix): finished ones are history.
        db
          .selectFrom('scan_jobs')
          .where('state', 'in', ['pending', 'submitted'])
          .select((eb) => [
            eb.fn.countAll().filterWhere('state', '=', 'pending').as('queued'),
            eb.fn.countAll().filterWhere('state', '=', 'submitted').as('running'),
            eb.fn.min('created_at').as('oldest'),
          ])
          .executeTakeFirstOrThrow(),
      ]);
      const oldestScan = scans.oldest === null || scans.oldest === undefined ? undefined : new Date(num(scans.oldest));
      const oldest = outbox.oldest === null || outbox.oldest === undefined ? undefined : new Date(num(outbox.oldest));
      return {
        repositories: num(counts.repositories),
        manifests: num(counts.manifests),
        tags: num(counts.tags),
        uploads: num(counts.uploads),
        blobs: { count: num(blobs.count), bytes: num(blobs.bytes) },
        verdicts: Object.fromEntries(verdicts.map((v) => [v.state, num(v.n)])),
        outbox: { pending: num(outbox.pending), failed: num(outbox.failed), ...(oldest ? { oldestPendingAt: oldest } : {}) },
        scans: { queued: num(scans.queued), running: num(scans.running), ...(oldestScan ? { oldestActiveAt: oldestScan } : {}) },
      };
    },

    async appliedMigrations() {
      // Kysely's own table; read through raw SQL because it is not part of the Database types.
      const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
      return rows.map((r) => r.name);
    },

    async ping() {
      await sql`select 1`.execute(db);
    },
  };
}
