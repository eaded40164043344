/**
 * TypeBox schemas of garbage collection's summary and of /api/v1/gc's answers. Schema-only
 * (imports nothing but typebox): the collector's `GcSummary`, the route's responses, the CLI
 * (`lazaret gc`) and the portal's Storage page all take their types from here
 * (docs/architecture.md "Wire types"), so a change of shape fails all their type checks.
 */
import { Type } from 'typebox';


/** A run's progress and result (stored as JSON with the run; updated while it runs). */
export const GcSummary = Type.Object({
  dryRun: Type.Boolean(),
  gracePeriodSeconds: Type.Number(),
  phase: Type.Union([Type.Literal('retention'), Type.Literal('recycle-bin'), Type.Literal('links'), Type.Literal('blobs'), Type.Literal('delete'), Type.Literal('prune'), Type.Literal('done')]),
  manifestsDeleted: Type.Integer({ description: 'manifests untagged-manifest retention deleted first (scheduled runs only)' }),
  recycledPurged: Type.Optional(Type.Integer({ description: 'expired recycle-bin entries purged (dry run: that would be); absent in runs recorded before the recycle bin existed' })),
  linksRemoved: Type.Integer({ description: 'dangling blob links removed (dry run: that would be)' }),
  blobsScanned: Type.Integer({ description: 'committed blobs the walk of the store looked at' }),
  blobsDeleted: Type.Integer({ description: 'blobs whose bytes were deleted (dry run: would be)' }),
  bytesFreed: Type.Integer(),
  toDelete: Type.Integer({ description: 'tombstones waiting for deletion when the delete phase began (the progress bar\'s total)' }),
  durationMs: Type.Number(),
});

export const GcRun = Type.Object({
  id: Type.String(),
  status: Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')]),
  dryRun: Type.Boolean(),
  gracePeriod: Type.String({ description: 'a duration: 0s, 30m, 24h, 7d' }),
  startedAt: Type.String(),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
  summary: Type.Union([GcSummary, Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
});

/** POST /api/v1/gc (202) and GET /api/v1/gc/runs/{id}. */
export const GcRunAnswer = Type.Object({ run: GcRun });

/** GET /api/v1/gc: the settings, the running run and the recent ones (newest first). */
export const GcStatus = Type.Object({
  settings: Type.Object({ gracePeriod: Type.String(), inFlight: Type.String(), interval: Type.Union([Type.String(), Type.Null()], { description: 'null: on demand only' }) }),
  running: Type.Union([GcRun, Type.Null()]),
  lastRun: Type.Union([GcRun, Type.Null()]),
  runs: Type.Array(GcRun),
});

