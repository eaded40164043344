/**
 * GET /api/v1/status: what `lazaret status` prints. Registry-wide aggregates only (no
 * repository names or digests), behind the `metrics` permission (Owner): the held count is an
 * operator's number, the same one /metrics exports.
 *
 * `scanBacklog`: scan jobs not finished (queued: waiting to be sent to a scanner; running: sent,
 * no report yet) and since when the oldest waits. `lastGc` is when the last garbage collection
 * that deleted (not a dry run) finished, null before the first.
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { LAZARET_VERSION } from '../package-info.ts';
import { KNOWN_MIGRATIONS } from '../persistence/index.ts';
import { workerPlace } from '../cluster/workers.ts';
import { declareRoutes, serve } from '../http/route-table.ts';
import { operatorFigures, type OperatorFigures } from './operator-figures.ts';

export interface RegistryStatus extends OperatorFigures {
  version: string;
  /**
   * The process that answered: its pid and, under `serve --workers`, its worker number, the
   * number of workers and when this worker started (else null, null and startedAt).
   */
  process: { pid: number; worker: number | null; workers: number | null; startedAt: string };
  /** When the node started: under `serve --workers` the primary's start (a restarted worker does not reset it). */
  startedAt: string;
  uptimeSeconds: number;
  database: 'sqlite' | 'postgres';
  schema: string | null;
  storage: { blobs: number; bytes: number };
  repositories: number;
  manifests: number;
  tags: number;
  /** Manifests not released by the quarantine gate (a verdict other than Passed). */
  held: number;
  verdicts: Record<string, number>;
  uploadsInProgress: number;
}

/** The routes of this file (the route table: src/http/route-table.ts). */
export const statusRoutes = declareRoutes({
  getStatus: { method: 'GET', url: '/api/v1/status', api: 'api', access: { kind: 'registry', action: 'metrics' }, tags: ['operations'], summary: 'Registry status: version, uptime, storage, counts, held, outbox, scan backlog' },
});

export function registerStatusRoutes(app: FastifyInstance, services: Services) {
  serve(app, statusRoutes.getStatus, async (): Promise<RegistryStatus> => {
      const s = await services.store.operations.snapshot();
      const applied = await services.store.operations.appliedMigrations();
      const place = workerPlace();
      const nodeStartedAt = place?.nodeStartedAt ?? services.startedAt;
      const held = Object.entries(s.verdicts).reduce((n, [state, count]) => (state === 'Passed' ? n : n + count), 0);
      return {
        version: LAZARET_VERSION,
        process: { pid: process.pid, worker: place?.worker ?? null, workers: place?.workers ?? null, startedAt: services.startedAt.toISOString() },
        startedAt: nodeStartedAt.toISOString(),
        uptimeSeconds: Math.round((Date.now() - nodeStartedAt.getTime()) / 1000),
        database: services.store.dialect,
        schema: applied.filter((m) => KNOWN_MIGRATIONS.includes(m)).at(-1) ?? null,
        storage: { blobs: s.blobs.count, bytes: s.blobs.bytes },
        repositories: s.repositories,
        manifests: s.manifests,
        tags: s.tags,
        held,
        verdicts: s.verdicts,
        uploadsInProgress: s.uploads,
        ...(await operatorFigures(services, s)),
      };
    });
}
