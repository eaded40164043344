/** `lazaret audit list`: the audit log, newest first (Owner, Contributor, Reader). */
import type { Command } from 'commander';
import { callApi, printResult, resolveConnection, withConnection, type ConnectionOptions } from '../api-client.ts';

interface Entry {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
  details: unknown;
  requestId: string | null;
}

export function registerAudit(program: Command) {
  const a = program.command('audit').description('the audit log');
  withConnection(a.command('list').description('list audit entries, newest first'))
    .option('--action <action>', 'only this action, e.g. verdict.change or policy.change')
    .option('--target <prefix>', 'only targets starting with this, e.g. helloworld@sha256:')
    .option('--actor <name>', 'only entries by this principal')
    .option('-n, --limit <n>', 'at most this many', '50')
    .action(async (opts: ConnectionOptions & { output?: string; action?: string; target?: string; actor?: string; limit: string }) => {
      const q = new URLSearchParams({ n: opts.limit });
      if (opts.action) q.set('action', opts.action);
      if (opts.target) q.set('target', opts.target);
      if (opts.actor) q.set('actor', opts.actor);
      const res = await callApi<{ entries: Entry[] }>(resolveConnection(opts), 'GET', `/api/v1/audit?${q}`);
      const short = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));
      printResult(opts.output, res.body, res.body.entries.map((e) => ({
        at: e.at,
        actor: e.actor,
        action: e.action,
        target: e.target,
        change: `${short(e.before)} -> ${short(e.after)}`,
        details: short(e.details),
      })));
    });
}
