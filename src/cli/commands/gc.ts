/**
 * `lazaret gc run [--dry-run] [--grace-period DURATION]`: starts a garbage collection through
 * /api/v1/gc, follows it (a progress bar on a terminal) and prints what it freed.
 * `lazaret gc status`: the settings, the running run and the last ones.
 */
import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError, callApi, printResult, resolveConnection, withConnection, type ConnectionOptions } from '../api-client.ts';
import { parseDuration } from '../../lifecycle/duration.ts';
import type { Static } from 'typebox';
import type * as Gc from '../../lifecycle/gc/gc-schemas.ts';

type GcSummary = Static<typeof Gc.GcSummary>;
import { formatBytes } from './status.ts';

type RunJson = Static<typeof Gc.GcRun>;

/** One line of progress: the phase, and a bar while blobs are deleted (the one phase with a known total). */
export function progressLine(s: GcSummary | null, width = 30): string {
  if (!s) return 'starting';
  if (s.phase === 'delete' && s.toDelete > 0) {
    const done = Math.min(s.blobsDeleted, s.toDelete);
    const filled = Math.round((done / s.toDelete) * width);
    return `deleting [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${s.toDelete} blobs, ${formatBytes(s.bytesFreed)}`;
  }
  if (s.phase === 'retention') return 'applying untagged-manifest retention';
  if (s.phase === 'recycle-bin') return 'purging expired recycle-bin entries';
  if (s.phase === 'links') return `checking blob links: ${s.linksRemoved} dangling`;
  if (s.phase === 'blobs') return `walking the store: ${s.blobsScanned} blobs looked at`;
  return s.phase;
}

/** The closing summary. */
export function summaryLine(run: RunJson): string {
  const s = run.summary;
  if (run.status === 'failed') return `garbage collection ${run.id} failed: ${run.error ?? 'unknown error'}`;
  if (!s) return `garbage collection ${run.id}: ${run.status}`;
  const verb = run.dryRun ? 'would delete' : 'deleted';
  return `${run.dryRun ? 'dry run: ' : ''}${verb} ${s.blobsDeleted} blob${s.blobsDeleted === 1 ? '' : 's'}, ${formatBytes(s.bytesFreed)} (${s.bytesFreed} bytes) ${run.dryRun ? 'would be ' : ''}freed; ${s.linksRemoved} dangling blob link${s.linksRemoved === 1 ? '' : 's'}, ${s.blobsScanned} blobs looked at${s.recycledPurged ? `, ${s.recycledPurged} expired recycle-bin entr${s.recycledPurged === 1 ? 'y' : 'ies'} ${run.dryRun ? 'to purge' : 'purged'}` : ''}, grace period ${run.gracePeriod}, ${(s.durationMs / 1000).toFixed(1)} s`;
}

export function registerGc(program: Command) {
  const gc = program.command('gc').description('garbage collection of blobs no image references (docs/storage-lifecycle.md)');

  withConnection(gc.command('run').description('collect unreferenced blobs now and print what was freed (Owner)'))
    .option('--dry-run', 'only report what a run would delete')
    .option('--grace-period <duration>', 'keep unreferenced blobs younger than this (0s, 30m, 24h; default: the server\'s gc.gracePeriodSeconds)')
    .option('--no-wait', 'start the run and return at once')
    .action(async (opts: ConnectionOptions & { output?: string; dryRun?: boolean; gracePeriod?: string; wait?: boolean }) => {
      if (opts.gracePeriod !== undefined && parseDuration(opts.gracePeriod) === undefined) throw new CliError(`--grace-period ${opts.gracePeriod} is not a duration (e.g. 0s, 30m, 24h, 7d)`);
      const conn = resolveConnection(opts);
      const { body } = await callApi<Static<typeof Gc.GcRunAnswer>>(conn, 'POST', '/api/v1/gc', { ...(opts.dryRun ? { dryRun: true } : {}), ...(opts.gracePeriod !== undefined ? { gracePeriod: opts.gracePeriod } : {}) });
      let run = body.run;
      const tty = process.stderr.isTTY && opts.output !== 'json';
      if (opts.wait !== false) {
        while (run.status === 'running') {
          if (tty) process.stderr.write(`\r\x1b[K${progressLine(run.summary)}`);
          await sleep(500);
          run = (await callApi<Static<typeof Gc.GcRunAnswer>>(conn, 'GET', `/api/v1/gc/runs/${encodeURIComponent(run.id)}`)).body.run;
        }
        if (tty) process.stderr.write('\r\x1b[K');
      }
      if (opts.output === 'json') console.log(JSON.stringify(run, null, 2));
      else console.log(run.status === 'running' ? `garbage collection ${run.id} started` : summaryLine(run));
      if (run.status === 'failed') process.exitCode = 1;
    });

  withConnection(gc.command('status').description('garbage collection settings, the running run and the last ones (Owner)')).action(async (opts: ConnectionOptions & { output?: string }) => {
    const { body } = await callApi<Static<typeof Gc.GcStatus>>(resolveConnection(opts), 'GET', '/api/v1/gc');
    if (opts.output === 'json') return printResult('json', body);
    console.log(`grace period ${body.settings.gracePeriod}, in-flight window ${body.settings.inFlight}, schedule ${body.settings.interval ? `every ${body.settings.interval}` : 'off (on demand only)'}`);
    printResult(
      'table',
      body,
      body.runs.map((r) => ({ id: r.id, status: r.status, started: r.startedAt, dryRun: r.dryRun, grace: r.gracePeriod, blobs: r.summary?.blobsDeleted ?? '', freed: r.summary ? formatBytes(r.summary.bytesFreed) : '' })),
    );
  });
}
