/**
 * /api/v1/gc: garbage collection of blobs (docs/storage-lifecycle.md).
 *
 * - POST /api/v1/gc `{ dryRun?, gracePeriod? }` starts a run (registry `admin`: Owner): 202 with
 *   the run, or 409 CONFLICT naming the run in progress (on any node). `gracePeriod` is a
 *   duration (`0s`, `24h`); absent: `gc.gracePeriodSeconds`.
 * - GET /api/v1/gc: the settings, the running run and the recent ones (`metrics`: Owner).
 * - GET /api/v1/gc/runs/:id: one run with its progress (what `lazaret gc run` polls).
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Services } from '../services.ts';
import type { GcRunRecord } from '../lifecycle/gc/gc-store.ts';
import { registryError } from '../errors/index.ts';
import { formatDuration, parseDuration } from '../lifecycle/duration.ts';
import { declareRoutes, serve } from '../http/route-table.ts';
import type { GcSummary } from '../lifecycle/gc/collector.ts';
import { GcRunAnswer, GcStatus } from '../lifecycle/gc/gc-schemas.ts';

const StartBody = Type.Object(
  {
    dryRun: Type.Optional(Type.Boolean()),
    gracePeriod: Type.Optional(Type.String({ maxLength: 40, description: 'a duration: 0s, 30m, 24h, 7d' })),
  },
  { additionalProperties: false },
);

export const gcRunJson = (r: GcRunRecord) => ({
  id: r.id,
  status: r.status,
  dryRun: r.dryRun,
  gracePeriod: formatDuration(r.gracePeriodMs),
  startedAt: r.startedAt.toISOString(),
  finishedAt: r.finishedAt?.toISOString() ?? null,
  // Stored as JSON by the collector in GcSummary's shape.
  summary: (r.summary as GcSummary | undefined) ?? null,
  error: r.error ?? null,
});

/** The routes of this file (the route table: src/http/route-table.ts). */
export const gcRoutes = declareRoutes({
  startGc: { method: 'POST', url: '/api/v1/gc', api: 'api', access: { kind: 'registry', action: 'admin' }, tags: ['operations'], bodyLimit: 4096, summary: 'Start a garbage collection of unreferenced blobs (202; 409 while one runs)', schema: { body: Type.Optional(StartBody), response: { 202: GcRunAnswer } } },
  getGc: { method: 'GET', url: '/api/v1/gc', api: 'api', access: { kind: 'registry', action: 'metrics' }, tags: ['operations'], summary: 'Garbage collection: settings, running and recent runs', schema: { response: { 200: GcStatus } } },
  getGcRun: { method: 'GET', url: '/api/v1/gc/runs/:id', api: 'api', access: { kind: 'registry', action: 'metrics' }, tags: ['operations'], summary: 'One garbage collection run and its progress', schema: { params: Type.Object({ id: Type.String({ maxLength: 64 }) }), response: { 200: GcRunAnswer } } },
});

export function registerGcRoutes(app: FastifyInstance, services: Services) {
  const { gc } = services;

  serve(app, gcRoutes.startGc, async (request, reply) => {
    const body = request.body ?? {};
    let gracePeriodMs: number | undefined;
    if (body.gracePeriod !== undefined) {
      gracePeriodMs = parseDuration(body.gracePeriod);
      if (gracePeriodMs === undefined) throw registryError('BAD_REQUEST', `gracePeriod ${JSON.stringify(body.gracePeriod.slice(0, 40))} is not a duration (e.g. 0s, 30m, 24h, 7d)`, { field: 'gracePeriod' });
    }
    const result = await gc.start({ dryRun: body.dryRun ?? false, ...(gracePeriodMs !== undefined ? { gracePeriodMs } : {}) });
    if (!result.started) {
      const since = result.running ? ` (run ${result.running.id}, started ${result.running.startedAt.toISOString()})` : '';
      throw registryError('CONFLICT', `a garbage collection is already running${since}; try again when it has finished`, result.running ? { run: result.running.id } : undefined);
    }
    await services.store.audit.append({
      actor: request.access.principal.name,
      action: 'gc.start',
      target: `gc:${result.run.id}`,
      details: { dryRun: result.run.dryRun, gracePeriod: formatDuration(result.run.gracePeriodMs) },
      requestId: request.id,
    });
    return reply.code(202).send({ run: gcRunJson(result.run) });
  });

  serve(app, gcRoutes.getGc, async () => {
    const runs = await gc.runs(20);
    const { gracePeriodSeconds, inFlightSeconds, intervalSeconds } = services.config.gc;
    const running = runs.find((r) => r.status === 'running');
    const last = runs.find((r) => r.status !== 'running');
    return {
      settings: { gracePeriod: formatDuration(gracePeriodSeconds * 1000), inFlight: formatDuration(inFlightSeconds * 1000), interval: intervalSeconds === 0 ? null : formatDuration(intervalSeconds * 1000) },
      running: running ? gcRunJson(running) : null,
      lastRun: last ? gcRunJson(last) : null,
      runs: runs.map(gcRunJson),
    };
  });

  serve(app, gcRoutes.getGcRun, async (request) => {
    const { id } = request.params;
    const run = (await gc.runs(100)).find((r) => r.id === id);
    if (!run) throw registryError('NOT_FOUND', `no garbage collection run ${id.slice(0, 64)}`);
    return { run: gcRunJson(run) };
  });
}
