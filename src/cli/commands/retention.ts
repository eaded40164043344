/**
 * `lazaret retention`: retention rules for tags and untagged manifests (docs/storage-lifecycle.md).
 *   show                                            the rules
 *   set --tags RULE ... --untagged PATTERN=DAYS ... replaces them (per list, the first matching rule wins)
 *   set --file policy.json                          replaces them with a JSON document
 *   test                                            what the rules would delete now (a dry run)
 *   run                                             delete it now
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Static } from 'typebox';
import type * as S from '../../lifecycle/retention/retention-schemas.ts';
import { CliError, callApi, printResult, resolveConnection, withConnection, type ConnectionOptions } from '../api-client.ts';

type TagRule = Static<typeof S.TagRule>;
type Policy = Static<typeof S.RetentionPolicy>;
type Run = Static<typeof S.RetentionRun>;
/** A deletion, or a skipped one with its reason. */
type Deletion = Run['deletions'][number] & { why?: string };

/** `team/*=7` → `{ repositories: 'team/*', days: 7 }`. */
export function parseUntaggedRule(text: string): Static<typeof S.UntaggedRule> {
  const m = /^(.+)=(\d+)d?$/.exec(text);
  if (!m) throw new CliError(`--untagged ${text}: expected PATTERN=DAYS, e.g. 'team/*=7'`);
  return { repositories: m[1]!, days: Number(m[2]) };
}

const TAG_RULE_KEYS = { 'keep-last': 'keepLast', 'older-than': 'olderThanDays', 'pulled-within': 'keepPulledWithinDays' } as const;

/** `ci/*:keep-last=10,older-than=30,pulled-within=14,keep=v*|release-*` → a tag rule. */
export function parseTagRule(text: string): TagRule {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new CliError(`--tags ${text}: expected PATTERN:key=value,... e.g. 'ci/*:keep-last=10,older-than=30'`);
  const rule: TagRule = { repositories: text.slice(0, colon) };
  for (const part of text.slice(colon + 1).split(',')) {
    const [key, value] = part.split('=', 2) as [string, string | undefined];
    if (key === 'keep' && value) rule.keepTags = value.split('|');
    else if (key in TAG_RULE_KEYS && value !== undefined && /^\d+d?$/.test(value)) rule[TAG_RULE_KEYS[key as keyof typeof TAG_RULE_KEYS]] = Number.parseInt(value, 10);
    else throw new CliError(`--tags ${text}: "${part}" is not one of keep-last=N, older-than=DAYS, pulled-within=DAYS, keep=PATTERN|PATTERN`);
  }
  return rule;
}

const describeTagRule = (r: TagRule) =>
  [
    r.keepLast !== undefined ? `keep last ${r.keepLast}` : '',
    r.keepTags?.length ? `keep ${r.keepTags.join(' ')}` : '',
    r.keepPulledWithinDays !== undefined ? `keep pulled within ${r.keepPulledWithinDays}d` : '',
    r.olderThanDays !== undefined ? `delete older than ${r.olderThanDays}d` : 'delete the rest',
  ]
    .filter(Boolean)
    .join('; ');

const policyRows = (p: Policy) => [
  ...p.tags.map((r) => ({ kind: 'tags', repositories: r.repositories, rule: describeTagRule(r) })),
  ...p.untagged.map((r) => ({ kind: 'untagged', repositories: r.repositories, rule: `delete untagged manifests after ${r.days}d` })),
];

const deletionRows = (list: Deletion[]) =>
  list.map((d) => ({
    what: d.kind === 'tag' ? `${d.repository}:${d.tag}` : `${d.repository}@${d.digest.slice(0, 19)}`,
    reason: d.reason === 'referrer' ? `referrer of ${d.subject?.slice(0, 19)}` : d.reason,
    rule: d.rule,
    updated: d.updatedAt,
    pulled: d.lastPulledAt ?? 'never',
    ...(d.why ? { kept: d.why } : {}),
  }));

export function registerRetention(program: Command) {
  const retention = program.command('retention').description('retention rules for tags and untagged manifests per repository pattern (Owner, Contributor)');

  withConnection(retention.command('show').description('the retention rules')).action(async (opts: ConnectionOptions & { output?: string }) => {
    const { body } = await callApi<Policy>(resolveConnection(opts), 'GET', '/api/v1/retention');
    printResult(opts.output, body, policyRows(body));
  });

  withConnection(retention.command('set').description('replace the rules (per list, the first rule matching a repository applies); `retention test` shows their effect'))
    .option('--tags <rule>', "a tag rule, repeatable: PATTERN:keep-last=N,older-than=DAYS,pulled-within=DAYS,keep=PATTERN|PATTERN (e.g. 'ci/*:keep-last=10,older-than=30,keep=v*|release-*')", (v: string, all: string[] = []) => [...all, v])
    .option('--untagged <pattern=days>', "delete untagged manifests of matching repositories after DAYS (repeatable; e.g. 'team/*=7')", (v: string, all: string[] = []) => [...all, v])
    .option('--file <path>', 'the whole policy as JSON ({ "tags": [...], "untagged": [...] }), instead of --tags/--untagged')
    .action(async (opts: ConnectionOptions & { output?: string; tags?: string[]; untagged?: string[]; file?: string }) => {
      if (opts.file && (opts.tags || opts.untagged)) throw new CliError('--file replaces --tags and --untagged: give one or the other');
      const policy: Policy = opts.file ? JSON.parse(readFileSync(opts.file, 'utf8')) : { tags: (opts.tags ?? []).map(parseTagRule), untagged: (opts.untagged ?? []).map(parseUntaggedRule) };
      const { body } = await callApi<Policy>(resolveConnection(opts), 'PUT', '/api/v1/retention', policy);
      printResult(opts.output, body, policyRows(body));
    });

  for (const [name, dryRun, what] of [
    ['test', true, 'show what the rules would delete now, deleting nothing'],
    ['run', false, 'delete now what the rules say (audited retention.delete; delete webhooks as for manual deletes)'],
  ] as const) {
    withConnection(retention.command(name).description(what)).action(async (opts: ConnectionOptions & { output?: string }) => {
      const { body } = await callApi<Run>(resolveConnection(opts), 'POST', '/api/v1/retention/run', { dryRun });
      if (opts.output === 'json') return printResult('json', body);
      const count = (kind: Deletion['kind']) => body.deletions.filter((d) => d.kind === kind).length;
      const [tags, manifests] = [count('tag'), count('manifest')];
      console.log(`${body.dryRun ? 'would delete' : 'deleted'} ${tags} tag${tags === 1 ? '' : 's'} and ${manifests} manifest${manifests === 1 ? '' : 's'}${body.skipped.length ? `, kept ${body.skipped.length} that changed meanwhile` : ''}`);
      if (body.deletions.length + body.skipped.length > 0) printResult('table', body, deletionRows([...body.deletions, ...body.skipped]));
    });
  }
}
