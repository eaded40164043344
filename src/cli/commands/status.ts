/** `lazaret status`: version, uptime, storage, counts, held, outbox, scan backlog, last GC (Owner). */
import type { Command } from 'commander';
import { callApi, resolveConnection, withConnection, type ConnectionOptions } from '../api-client.ts';
import type { RegistryStatus } from '../../management-api/status.ts';

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

export function formatDuration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return d > 0 ? `${d}d ${h}h ${m}m` : h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${s}s` : `${s}s`;
}

/** The two-column table `lazaret status` prints. */
export function statusRows(s: RegistryStatus): [string, string][] {
  return [
    ['version', s.version],
    ['uptime', `${formatDuration(s.uptimeSeconds)} (since ${s.startedAt})`],
    ...(s.process.worker !== null ? ([['answered by', `worker ${s.process.worker} of ${s.process.workers} (pid ${s.process.pid}, since ${s.process.startedAt})`]] as [string, string][]) : []),
    ['database', `${s.database}, schema ${s.schema ?? 'none'}`],
    ['storage used', `${formatBytes(s.storage.bytes)} in ${s.storage.blobs} blobs`],
    ['repositories', String(s.repositories)],
    ['manifests', `${s.manifests} (${s.tags} tags)`],
    ['held', `${s.held}${Object.keys(s.verdicts).length ? ` (${Object.entries(s.verdicts).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`],
    ['uploads in progress', String(s.uploadsInProgress)],
    ['webhook outbox', `${s.outbox.pending} pending${s.outbox.oldestPendingAt ? `, oldest since ${s.outbox.oldestPendingAt}` : ''}, ${s.outbox.deadLetters} dead letters`],
    ['scan backlog', `${s.scanBacklog.queued} queued, ${s.scanBacklog.running} running${s.scanBacklog.oldestSince ? `, oldest since ${s.scanBacklog.oldestSince}` : ''}`],
    ['last GC', s.lastGc ?? 'never'],
  ];
}

export function registerStatus(program: Command) {
  withConnection(program.command('status').description('the registry at a glance (Owner): version, uptime, storage, counts, held, outbox, scan backlog'))
    .option('--json', 'print the status as JSON')
    .action(async (opts: ConnectionOptions & { output?: string; json?: boolean }) => {
      const { body } = await callApi<RegistryStatus>(resolveConnection(opts), 'GET', '/api/v1/status');
      if (opts.json || opts.output === 'json') {
        console.log(JSON.stringify(body, null, 2));
        return;
      }
      const rows = statusRows(body);
      const width = Math.max(...rows.map(([k]) => k.length));
      for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
    });
}
