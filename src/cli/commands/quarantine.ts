/**
 * `lazaret quarantine enable|disable|status|preflight|rescan|grandfather|list`: the policy and
 * the operations of docs/quarantine.md "Turning it on safely", through /api/v1.
 */
import type { Command } from 'commander';
import type { Static } from 'typebox';
import type { GrandfatherResult, PoliciesResponse, Preflight, QueuePage, RescanResult, VerdictRow } from '../../management-api/quarantine-schemas.ts';
import { callApi, CliError, printResult, resolveConnection, withConnection, type ConnectionOptions } from '../api-client.ts';

type Opts = ConnectionOptions & { output?: string };

type Row = Static<typeof VerdictRow>;

const rowOf = (m: Row) => ({
  repository: m.repository,
  digest: m.digest,
  tags: (m.tags ?? []).join(','),
  state: m.quarantineState ?? '(none)',
  created: m.createdTime,
});
const rowsOf = (manifests: Row[]) => manifests.map(rowOf);

const query = (params: Record<string, string | undefined>) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
};

export function registerQuarantine(program: Command) {
  const q = program.command('quarantine').description('the quarantine policy and its operations');

  for (const status of ['enable', 'disable'] as const) {
    const command = withConnection(q.command(status).description(`${status} the quarantine policy (Owner or Contributor)`));
    if (status === 'enable') command.option('-y, --yes', 'do not ask for confirmation (needed when stdin is not a terminal)');
    command.action(async (opts: Opts & { yes?: boolean }) => {
      const conn = resolveConnection(opts);
      if (status === 'enable') await confirmEnable(conn, opts.yes === true);
      const res = await callApi<Static<typeof PoliciesResponse>>(conn, 'PATCH', '/api/v1/policies', { quarantinePolicy: { status: `${status}d` } });
      printResult(opts.output, res.body, [{ policy: 'quarantinePolicy', status: res.body.quarantinePolicy.status }]);
    });
  }

  withConnection(q.command('status').description('show whether the quarantine policy is enabled')).action(async (opts: Opts) => {
    const res = await callApi<Static<typeof PoliciesResponse>>(resolveConnection(opts), 'GET', '/api/v1/policies');
    printResult(opts.output, res.body, [{ policy: 'quarantinePolicy', status: res.body.quarantinePolicy.status }]);
  });

  withConnection(q.command('preflight').description('list what enabling the policy would hold'))
    .option('--repository <name>', 'only this repository')
    .option('-n, --limit <n>', 'at most this many manifests', '100')
    .action(async (opts: Opts & { repository?: string; limit: string }) => {
      const res = await callApi<Static<typeof Preflight>>(
        resolveConnection(opts), 'GET', `/api/v1/quarantine/preflight${query({ repository: opts.repository, n: opts.limit })}`,
      );
      if (opts.output === 'json') return printResult('json', res.body);
      const c = res.body.counts;
      console.log(`policy: ${res.body.policy}; enabling would hold ${res.body.wouldHold} manifest(s) (no verdict ${c.absent}, Quarantined ${c.Quarantined}, Failed ${c.Failed}; Passed ${c.Passed})`);
      printResult('table', res.body, rowsOf(res.body.manifests));
    });

  withConnection(q.command('rescan').description('raise quarantine events for every manifest without a verdict'))
    .option('--repository <name>', 'only this repository')
    .option('--state <states>', 'verdicts to rescan instead (comma-separated: absent,Quarantined,Failed,Passed)')
    .action(async (opts: Opts & { repository?: string; state?: string }) => {
      const res = await callApi<Static<typeof RescanResult>>(resolveConnection(opts), 'POST', '/api/v1/quarantine/rescan', {
        ...(opts.repository ? { repository: opts.repository } : {}),
        ...(opts.state ? { state: opts.state } : {}),
      });
      printResult(opts.output, res.body, [{ requested: res.body.requested }]);
    });

  withConnection(q.command('grandfather').description('mark every manifest without a verdict Passed (audited); needs --yes'))
    .option('--repository <name>', 'only this repository')
    .option('--yes', 'really do it')
    .action(async (opts: Opts & { repository?: string; yes?: boolean }) => {
      if (!opts.yes) throw new CliError('grandfather passes unscanned images without a scan; run `lazaret quarantine preflight` first, then repeat with --yes');
      const res = await callApi<Static<typeof GrandfatherResult>>(resolveConnection(opts), 'POST', '/api/v1/quarantine/grandfather', opts.repository ? { repository: opts.repository } : {});
      printResult(opts.output, res.body, [{ passed: res.body.passed }]);
    });

  // The portal's queue page reads the same endpoint (one server page, keyset cursor `next`).
  withConnection(q.command('list').alias('queue').description('list manifests by verdict with their scan state, oldest first (default: held ones)'))
    .option('--state <states>', 'comma-separated: absent,Quarantined,Failed,Passed')
    .option('--waiting', 'only manifests that wait for a verdict (Quarantined, or none where the switch or a release policy gates the repository); with --state, rows of Failed/Passed stay')
    .option('--repository <name>', 'only this repository')
    .option('--contains <text>', 'only repositories whose name contains this')
    .option('-n, --limit <n>', 'at most this many', '100')
    .option('--after <cursor>', "continue after the previous page (its JSON's `next`)")
    .action(async (opts: Opts & { state?: string; waiting?: boolean; repository?: string; contains?: string; limit: string; after?: string }) => {
      const res = await callApi<Static<typeof QueuePage>>(
        resolveConnection(opts),
        'GET',
        `/api/v1/quarantine/queue${query({ state: opts.state, waiting: opts.waiting ? 'true' : undefined, repository: opts.repository, q: opts.contains, n: opts.limit, last: opts.after })}`,
      );
      printResult(opts.output, res.body, res.body.manifests.map((m) => ({ ...rowOf(m), scan: m.scan?.status ?? m.scan?.state ?? '' })));
      if (res.body.next && opts.output !== 'json') console.error(`more: --after ${res.body.next}`);
    });
}

/**
 * Enabling holds every manifest without a verdict at once, for everyone without quarantine
 * read, Owners included: say how much first (the preflight), then ask, or take --yes.
 */
async function confirmEnable(conn: ReturnType<typeof resolveConnection>, yes: boolean): Promise<void> {
  const pre = await callApi<Static<typeof Preflight>>(conn, 'GET', '/api/v1/quarantine/preflight?n=1000');
  if (pre.status !== 200) return; // the PATCH below reports the refusal in its own words
  const repositories = new Set(pre.body.manifests.map((m) => m.repository)).size;
  const more = pre.body.wouldHold > pre.body.manifests.length ? '+' : '';
  const summary = `this will hold ${pre.body.wouldHold} manifest(s) in ${repositories}${more} repositories, including for Owners (only quarantine readers can pull them until a scanner passes them)`;
  if (yes) {
    console.error(summary);
    return;
  }
  if (!process.stdin.isTTY) throw new CliError(`${summary}; pass --yes to confirm`);
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`${summary}. Enable? [y/N] `);
  rl.close();
  if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('not enabled');
}
