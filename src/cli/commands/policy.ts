/**
 * `lazaret policy apply|get|list|diff|delete`: release policies through
 * /api/v1/release-policies (docs/release-policy.md). `apply -f FILE` sends the file's text as
 * written (YAML or JSON; `-f -` reads standard input); the registry checks it and answers with
 * the field that is wrong. Each area of the group registers through SUBCOMMANDS.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Static } from 'typebox';
import type * as S from '../../release-policy/policy-schemas.ts';
import { CliError, callApi, printResult, resolveConnection, withConnection, type ConnectionOptions } from '../api-client.ts';

type Opts = ConnectionOptions & { output?: string };

/** What the routes answer (src/release-policy/policy-schemas.ts): a listed policy, one with its source, an applied one. */
export type PolicyView = Static<typeof S.ReleasePolicyView> & Partial<Pick<Static<typeof S.AppliedReleasePolicy>, 'source' | 'changed' | 'warnings' | 'diff'>>;

const path = (name: string) => `/api/v1/release-policies/${encodeURIComponent(name)}`;

export function readDocumentFile(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

function printPolicy(p: PolicyView) {
  console.log(`name:         ${p.name} (version ${p.version})`);
  console.log(`repositories: ${p.repositories.join(', ')}`);
  console.log(`enabled:      ${p.enabled}`);
  console.log(`onViolation:  ${p.onViolation}${p.gracePeriod ? ` after ${p.gracePeriod}` : ''}`);
  console.log(`updated:      ${p.updatedAt} by ${p.updatedBy}`);
  console.log('rules:');
  for (const r of p.rules) console.log(`  - ${r.name} (${r.kind}): ${r.text}`);
}

function registerDocuments(group: Command) {
  withConnection(
    group
      .command('apply')
      .description('create or replace a release policy from a YAML or JSON file')
      .requiredOption('-f, --file <file>', 'the policy document (- for standard input)')
      .option('--expected-version <n>', 'refuse when the stored version is not this one (0: must be new)'),
  ).action(async (opts: Opts & { file: string; expectedVersion?: string }) => {
    const body: Record<string, unknown> = { document: readDocumentFile(opts.file) };
    if (opts.expectedVersion !== undefined) {
      if (!/^\d+$/.test(opts.expectedVersion)) throw new CliError('--expected-version must be a number');
      body.expectedVersion = Number(opts.expectedVersion);
    }
    const res = await callApi<PolicyView>(resolveConnection(opts), 'POST', '/api/v1/release-policies', body);
    if (opts.output === 'json') return printResult('json', res.body);
    const p = res.body;
    console.log(!p.changed ? `release policy ${p.name} unchanged (version ${p.version})` : `release policy ${p.name} ${res.status === 201 ? 'created' : 'updated'} (version ${p.version})`);
    for (const w of p.warnings ?? []) console.log(`warning: ${w}`);
  });

  withConnection(group.command('get <name>').description('show a release policy; -o json for the document, -o yaml for the text as applied')).action(async (name: string, opts: Opts) => {
    const res = await callApi<PolicyView>(resolveConnection(opts), 'GET', path(name));
    if (opts.output === 'json') return printResult('json', res.body);
    if (opts.output === 'yaml') return void process.stdout.write(res.body.source!.endsWith('\n') ? res.body.source! : `${res.body.source}\n`);
    printPolicy(res.body);
  });

  withConnection(group.command('list').description('list release policies')).action(async (opts: Opts) => {
    const res = await callApi<Static<typeof S.ReleasePolicyList>>(resolveConnection(opts), 'GET', '/api/v1/release-policies');
    printResult(opts.output, res.body, res.body.policies.map((p) => ({ name: p.name, version: p.version, enabled: p.enabled, repositories: p.repositories.join(','), rules: p.rules.map((r) => r.name).join(','), onViolation: p.onViolation, updated: p.updatedAt })));
  });

  withConnection(
    group
      .command('diff <name>')
      .description('what applying a file would change (-f), or a change of the stored policy (default: the last one)')
      .option('-f, --file <file>', 'compare the stored policy with this document (changes nothing)')
      .option('--from <version>', 'older version (0: nothing)')
      .option('--to <version>', 'newer version (default: the current one)'),
  ).action(async (name: string, opts: Opts & { file?: string; from?: string; to?: string }) => {
    const conn = resolveConnection(opts);
    let res;
    if (opts.file) res = await callApi<Static<typeof S.ReleasePolicyDiff>>(conn, 'POST', `${path(name)}/diff`, { document: readDocumentFile(opts.file) });
    else {
      const q = new URLSearchParams({ ...(opts.from !== undefined ? { from: opts.from } : {}), ...(opts.to !== undefined ? { to: opts.to } : {}) });
      res = await callApi<Static<typeof S.ReleasePolicyDiff>>(conn, 'GET', `${path(name)}/diff${q.size ? `?${q}` : ''}`);
    }
    if (opts.output === 'json') return printResult('json', res.body);
    process.stdout.write(res.body.diff || 'no changes\n');
  });

  withConnection(group.command('delete <name>').description('delete a release policy (its repositories fall back to a broader policy or the registry-wide one)')).action(async (name: string, opts: Opts) => {
    await callApi(resolveConnection(opts), 'DELETE', path(name));
    if (opts.output !== 'json') console.log(`release policy ${name} deleted`);
  });
}

type WhyView = Static<typeof S.WhyHeldView>;

const mark = (r: { passed: boolean; pending?: boolean }) => (r.passed ? 'pass' : r.pending ? 'HOLD' : 'FAIL');

/** REPO@DIGEST or REPO:TAG (a tag after the last slash). */
export function parseReference(ref: string): { repository: string; digest?: string; tag?: string } {
  const at = ref.indexOf('@');
  if (at > 0) return { repository: ref.slice(0, at), digest: ref.slice(at + 1) };
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  throw new CliError(`${ref}: expected REPO@DIGEST or REPO:TAG`);
}

function registerEvaluations(group: Command) {
  withConnection(group.command('why <reference>').description('why an image is held (or released): the deciding policy and each rule (REPO@DIGEST or REPO:TAG)')).action(async (reference: string, opts: Opts) => {
    const ref = parseReference(reference);
    const q = new URLSearchParams({ repository: ref.repository, ...(ref.digest ? { digest: ref.digest } : { tag: ref.tag! }) });
    const res = await callApi<WhyView>(resolveConnection(opts), 'GET', `/api/v1/quarantine/why-held?${q}`);
    if (opts.output === 'json') return printResult('json', res.body);
    const w = res.body;
    const by = w.governedBy?.kind === 'release-policy' ? `release policy ${w.governedBy.name} v${w.governedBy.version} (${w.governedBy.pattern})` : w.governedBy ? 'the registry-wide quarantine policy' : 'nothing (not gated)';
    console.log(`${w.repository}@${w.digest}`);
    console.log(`state:       ${w.quarantineState ?? '(no verdict)'}${w.held ? ' (held)' : ''}`);
    console.log(`governed by: ${by}`);
    if (w.evaluation) {
      const e = w.evaluation;
      console.log(`evaluated:   ${e.evaluatedAt} by ${e.policy} v${e.version}: ${e.passed ? 'passes' : 'does not pass'}`);
      if (e.violatingSince) console.log(`violating since ${e.violatingSince}${e.requarantineAt ? `; back on hold at ${e.requarantineAt}` : ' (onViolation notify: stays released)'}`);
      for (const r of e.rules) console.log(`  ${mark(r)}  ${r.rule} (${r.kind}): ${r.reason}`);
    } else if (w.quarantineDetails) console.log(`details:     ${w.quarantineDetails}`);
  });

  withConnection(
    group
      .command('test')
      .description('dry run: what a policy file would do to existing images (changes nothing)')
      .requiredOption('-f, --file <file>', 'the policy document (- for standard input)')
      .option('--repository <pattern>', 'only repositories matching this pattern')
      .option('-n, --limit <n>', 'at most this many images', '1000'),
  ).action(async (opts: Opts & { file: string; repository?: string; limit: string }) => {
    const body = { document: readDocumentFile(opts.file), n: Number(opts.limit), ...(opts.repository ? { repository: opts.repository } : {}) };
    const res = await callApi<Static<typeof S.DryRunResult>>(resolveConnection(opts), 'POST', '/api/v1/release-policies:evaluate', body);
    if (opts.output === 'json') return printResult('json', res.body);
    const r = res.body;
    console.log(`policy ${r.policy} would release ${r.wouldRelease}, hold ${r.wouldHold}, fail ${r.wouldFail}, flag ${r.wouldFlagReleased} released image(s); ${r.unchanged} unchanged${r.truncated ? ' (first images only: raise -n)' : ''}`);
    printResult('table', r, r.images.map((i) => ({ repository: i.repository, digest: i.digest.slice(0, 19), tags: i.tags.join(','), now: i.quarantineState ?? '(none)', change: i.change, rules: i.rules.filter((x) => !x.passed).map((x) => `${x.rule}: ${x.reason}`).join('; ').slice(0, 120) })));
  });
}

type ExceptionView = Static<typeof S.ExceptionView>;

const exceptionRow = (e: ExceptionView) => ({ id: e.id, vulnerability: e.vulnerability, applies: e.scope === 'all' ? '(everything)' : e.scope === 'digest' ? `${e.repository}@${e.digest?.slice(0, 19)}` : e.repository, status: e.status, expires: e.expiresAt, owner: e.owner, approvedBy: e.approvedBy ?? '', reason: e.reason.slice(0, 60) });

function registerExceptions(group: Command) {
  const exception = group.command('exception').description('exceptions to findings: a vulnerability excepted for an image, a repository pattern or everything, until a date');
  withConnection(
    exception
      .command('add <vulnerability>')
      .description('except a vulnerability (needs quarantine write on the repository, or Owner for patterns and --all)')
      .option('--repository <pattern>', 'repositories matching this pattern')
      .option('--digest <repo@digest>', 'one image')
      .option('--all', 'every repository')
      .requiredOption('--reason <text>', 'why it is acceptable')
      .requiredOption('--expires <date>', 'when it stops counting (2027-01-31 or an ISO timestamp; at most 366 days)')
      .option('--ticket <url>', 'a link to the ticket tracking it'),
  ).action(async (vulnerability: string, opts: Opts & { repository?: string; digest?: string; all?: boolean; reason: string; expires: string; ticket?: string }) => {
    if ([opts.repository, opts.digest, opts.all].filter(Boolean).length !== 1) throw new CliError('give exactly one of --repository PATTERN, --digest REPO@DIGEST or --all');
    const body = { vulnerability, reason: opts.reason, expires: opts.expires, ...(opts.repository ? { repository: opts.repository } : {}), ...(opts.digest ? { digest: opts.digest } : {}), ...(opts.all ? { all: true } : {}), ...(opts.ticket ? { ticket: opts.ticket } : {}) };
    const res = await callApi<ExceptionView>(resolveConnection(opts), 'POST', '/api/v1/policy-exceptions', body);
    if (opts.output === 'json') return printResult('json', res.body);
    console.log(`exception ${res.body.id} ${res.body.status === 'pending' ? 'created, pending: another person must approve it (lazaret policy exception approve ' + res.body.id + ')' : 'created, active'} until ${res.body.expiresAt}`);
  });
  withConnection(exception.command('list').description('list exceptions, newest first').option('--status <list>', 'pending,active,expired,revoked')).action(async (opts: Opts & { status?: string }) => {
    const res = await callApi<Static<typeof S.ExceptionList>>(resolveConnection(opts), 'GET', `/api/v1/policy-exceptions${opts.status ? `?status=${encodeURIComponent(opts.status)}` : ''}`);
    printResult(opts.output, res.body, res.body.exceptions.map(exceptionRow));
  });
  for (const [verb, description] of [['approve', 'approve a pending exception (the two-person rule: not its creator)'], ['revoke', 'revoke an exception: it stops counting at once']] as const) {
    withConnection(exception.command(`${verb} <id>`).description(description)).action(async (id: string, opts: Opts) => {
      const res = await callApi<ExceptionView>(resolveConnection(opts), 'POST', `/api/v1/policy-exceptions/${encodeURIComponent(id)}/${verb}`);
      if (opts.output === 'json') return printResult('json', res.body);
      console.log(`exception ${res.body.id} ${res.body.status === 'active' ? 'approved: active' : 'revoked'}`);
    });
  }
}

const SUBCOMMANDS: ((group: Command) => void)[] = [registerDocuments, registerEvaluations, registerExceptions];

export function registerPolicy(program: Command) {
  const group = program.command('policy').description('release policies: which rules an image must pass to leave quarantine, per repository pattern');
  for (const register of SUBCOMMANDS) register(group);
}
