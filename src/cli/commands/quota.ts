/**
 * `lazaret quota`: quotas per repository pattern (docs/storage-lifecycle.md "Quotas"; Owner, Contributor).
 *   list                        the rules and each repository's limit and usage
 *   set PATTERN SIZE            adds or changes the rule for PATTERN (SIZE: 500MiB, 10GiB, bytes)
 *   remove PATTERN              drops it
 *   recount [REPOSITORY]        counts usage from scratch and corrects the running totals
 * The first rule whose pattern matches a repository applies; `set` keeps the order of the rules
 * and adds a new one last.
 */
import type { Command } from 'commander';
import type { Static } from 'typebox';
import type { QuotasAnswer, RecountAnswer } from '../../management-api/quotas-schemas.ts';
import { CliError, callApi, printResult, resolveConnection, withConnection, type ConnectionOptions } from '../api-client.ts';

type Answer = Static<typeof QuotasAnswer>;
type Recount = Static<typeof RecountAnswer>;

const UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };

/** `10GiB` → 10737418240; `1.5GB` → 1500000000; a plain number is bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text.trim());
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new CliError(`${text}: expected a size such as 500MiB, 10GiB, 2GB or a number of bytes`);
  return Math.round(Number(m[1]) * unit);
}

function show(opts: { output?: string }, body: Answer) {
  if (opts.output === 'json') return printResult('json', body);
  printResult('table', body, body.quotas.map((q) => ({ repositories: q.repositories, bytes: q.bytes })));
  if (body.usage.length > 0) {
    console.log('');
    printResult('table', body, body.usage.map((u) => ({ repository: u.repository, quota: u.quota, limit: u.limit, used: u.used, percent: u.limit === 0 ? '-' : `${((u.used / u.limit) * 100).toFixed(1)}%` })));
  }
}

export function registerQuota(program: Command) {
  const quota = program.command('quota').description('quotas per repository pattern, in bytes (Owner, Contributor)');

  withConnection(quota.command('list').description('the quotas and each repository they apply to, with its usage')).action(async (opts: ConnectionOptions & { output?: string }) => {
    show(opts, (await callApi<Answer>(resolveConnection(opts), 'GET', '/api/v1/quotas')).body);
  });

  withConnection(quota.command('set <pattern> <size>').description('limit each repository matching PATTERN (a name, team/*, or *) to SIZE (e.g. 10GiB)')).action(
    async (pattern: string, size: string, opts: ConnectionOptions & { output?: string }) => {
      const bytes = parseSize(size);
      const connection = resolveConnection(opts);
      const { quotas } = (await callApi<Answer>(connection, 'GET', '/api/v1/quotas')).body;
      const next = quotas.some((q) => q.repositories === pattern) ? quotas.map((q) => (q.repositories === pattern ? { repositories: pattern, bytes } : q)) : [...quotas, { repositories: pattern, bytes }];
      show(opts, (await callApi<Answer>(connection, 'PUT', '/api/v1/quotas', { quotas: next })).body);
    },
  );

  withConnection(quota.command('remove <pattern>').description('drop the quota of PATTERN')).action(async (pattern: string, opts: ConnectionOptions & { output?: string }) => {
    const connection = resolveConnection(opts);
    const { quotas } = (await callApi<Answer>(connection, 'GET', '/api/v1/quotas')).body;
    if (!quotas.some((q) => q.repositories === pattern)) throw new CliError(`no quota for ${pattern}`);
    show(opts, (await callApi<Answer>(connection, 'PUT', '/api/v1/quotas', { quotas: quotas.filter((q) => q.repositories !== pattern) })).body);
  });

  withConnection(
    quota.command('recount [repository]').description('count usage from scratch (every repository, or one) and correct the running totals; lists the ones that were wrong'),
  ).action(async (repository: string | undefined, opts: ConnectionOptions & { output?: string }) => {
    const { body } = await callApi<Recount>(resolveConnection(opts), 'POST', '/api/v1/quotas/recount', repository === undefined ? {} : { repository });
    if (opts.output === 'json') return printResult('json', body);
    console.log(`${body.repositories} ${body.repositories === 1 ? 'repository' : 'repositories'} counted, ${body.corrected.length} corrected`);
    if (body.corrected.length > 0) printResult('table', body, body.corrected.map((c) => ({ repository: c.repository, was: c.stored, now: c.counted })));
  });
}
