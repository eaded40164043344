/**
 * `lazaret retention`: the untagged-manifest retention policy (docs/storage-lifecycle.md).
 *   show                                   the rules
 *   set --untagged PATTERN=DAYS ...        replaces them (first matching rule wins; none: remove all)
 *   test                                   what the rules would delete now (a dry run)
 *   run                                    delete it now
 */
import type { Command } from 'commander';
import { CliError, callApi, printResult, resolveConnection, withConnection, type ConnectionOptions } from '../api-client.ts';

interface Deletion {
  repository: string;
  digest: string;
  reason: string;
  rule: string;
  subject: string | null;
  updatedAt: string;
  why?: string;
}

/** `team/*=7` → `{ repositories: 'team/*', days: 7 }`. */
export function parseUntaggedRule(text: string): { repositories: string; days: number } {
  const m = /^(.+)=(\d+)d?$/.exec(text);
  if (!m) throw new CliError(`--untagged ${text}: expected PATTERN=DAYS, e.g. 'team/*=7'`);
  return { repositories: m[1]!, days: Number(m[2]) };
}

const rows = (list: Deletion[]) => list.map((d) => ({ repository: d.repository, digest: d.digest, reason: d.reason === 'referrer' ? `referrer of ${d.subject?.slice(0, 19)}` : 'untagged', rule: d.rule, updated: d.updatedAt, ...(d.why ? { kept: d.why } : {}) }));

export function registerRetention(program: Command) {
  const retention = program.command('retention').description('untagged-manifest retention per repository pattern (Owner, Contributor)');

  withConnection(retention.command('show').description('the retention rules')).action(async (opts: ConnectionOptions & { output?: string }) => {
    const { body } = await callApi<{ untagged: { repositories: string; days: number }[] }>(resolveConnection(opts), 'GET', '/api/v1/retention');
    printResult(opts.output, body, body.untagged.map((r) => ({ repositories: r.repositories, untaggedDays: r.days })));
  });

  withConnection(retention.command('set').description('replace the rules (the first rule matching a repository applies)'))
    .option('--untagged <pattern=days>', "delete untagged manifests of matching repositories after DAYS (repeatable; e.g. 'team/*=7')", (v: string, all: string[] = []) => [...all, v])
    .action(async (opts: ConnectionOptions & { output?: string; untagged?: string[] }) => {
      const policy = { untagged: (opts.untagged ?? []).map(parseUntaggedRule) };
      const { body } = await callApi<typeof policy>(resolveConnection(opts), 'PUT', '/api/v1/retention', policy);
      printResult(opts.output, body, body.untagged.map((r) => ({ repositories: r.repositories, untaggedDays: r.days })));
    });

  for (const [name, dryRun, what] of [
    ['test', true, 'show what the rules would delete now, deleting nothing'],
    ['run', false, 'delete now what the rules say (audited; delete webhooks as for manual deletes)'],
  ] as const) {
    withConnection(retention.command(name).description(what)).action(async (opts: ConnectionOptions & { output?: string }) => {
      const { body } = await callApi<{ dryRun: boolean; deletions: Deletion[]; skipped: Deletion[] }>(resolveConnection(opts), 'POST', '/api/v1/retention/run', { dryRun });
      if (opts.output === 'json') return printResult('json', body);
      console.log(`${body.dryRun ? 'would delete' : 'deleted'} ${body.deletions.length} manifest${body.deletions.length === 1 ? '' : 's'}${body.skipped.length ? `, kept ${body.skipped.length} that changed meanwhile` : ''}`);
      if (body.deletions.length + body.skipped.length > 0) printResult('table', body, rows([...body.deletions, ...body.skipped]));
    });
  }
}
