/**
 * `lazaret issuer list|show|set|delete`: trusted OIDC issuers for /oauth2/exchange (Owner
 * only; /api/v1/trusted-issuers). `set` takes a JSON/YAML file or flags:
 *   lazaret issuer set ci --issuer https://ci.example --audience lazaret \
 *     --jwks-url https://ci.example/jwks --rule 'repo:org/app:*=AcrPush@org/*' --rule 'bot=user:deployer'
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { IssuerConfig } from '../../auth/federation.ts';
import { parse as parseYaml } from 'yaml';
import { CliError, callApi, printResult, resolveConnection, withConnection, type ConnectionOptions } from '../api-client.ts';
import { parseRoleSpec } from './user.ts';

type Opts = ConnectionOptions & { output?: string };
/** What /api/v1/trusted-issuers answers: the name, the configuration as validated (src/auth/federation.ts) and its times. */
type IssuerJson = { name: string } & IssuerConfig & { createdAt: string; updatedAt: string };

/** `MATCH=ROLE[@PATTERN][,ROLE...]` or `MATCH=user:NAME`; the LAST `=` separates (matches may contain `=`? rarely; roles never do). */
export function parseRule(spec: string) {
  const eq = spec.lastIndexOf('=');
  if (eq <= 0) throw new CliError(`--rule ${spec}: expected MATCH=ROLE[@PATTERN][,ROLE...] or MATCH=user:NAME`);
  const match = spec.slice(0, eq);
  const rhs = spec.slice(eq + 1);
  if (rhs.startsWith('user:')) return { match, user: rhs.slice(5) };
  return { match, roles: rhs.split(',').filter(Boolean).map(parseRoleSpec) };
}

export function registerIssuer(program: Command) {
  const issuer = program.command('issuer').description('trusted OIDC issuers for federated logins (Owner only)');
  const path = (name: string) => `/api/v1/trusted-issuers/${encodeURIComponent(name)}`;
  const rows = (list: IssuerJson[]) =>
    list.map((i) => ({ name: i.name, issuer: i.issuer, audience: i.audience, claim: i.claim, rules: i.rules.map((r) => `${r.match}=${r.user ? `user:${r.user}` : (r.roles ?? []).map((x) => (x.repository ? `${x.role}@${x.repository}` : x.role)).join(',')}`).join(' ') }));

  withConnection(issuer.command('list').description('list trusted issuers')).action(async (opts: Opts) => {
    const res = await callApi<IssuerJson[]>(resolveConnection(opts), 'GET', '/api/v1/trusted-issuers');
    printResult(opts.output, res.body, rows(res.body));
  });

  withConnection(issuer.command('show <name>').description('one trusted issuer')).action(async (name: string, opts: Opts) => {
    const res = await callApi<IssuerJson>(resolveConnection(opts), 'GET', path(name));
    printResult(opts.output, res.body, rows([res.body]));
  });

  withConnection(issuer.command('set <name>').description('create or replace a trusted issuer'))
    .option('--file <file>', 'JSON or YAML: {issuer, audience, jwksUrl | jwks, claim, rules}')
    .option('--issuer <iss>', 'the `iss` of its tokens')
    .option('--audience <aud>', 'the `aud` its tokens must carry')
    .option('--jwks-url <url>', 'where its public keys are')
    .option('--claim <claim>', 'claim naming the caller', 'sub')
    .option('--rule <rule...>', 'MATCH=ROLE[@PATTERN][,ROLE...] or MATCH=user:NAME (MATCH may use *)')
    .action(async (name: string, opts: Opts & { file?: string; issuer?: string; audience?: string; jwksUrl?: string; claim: string; rule?: string[] }) => {
      let body: unknown;
      if (opts.file) {
        const text = readFileSync(opts.file, 'utf8');
        body = opts.file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
      } else {
        if (!opts.issuer || !opts.audience || !opts.jwksUrl || !opts.rule?.length) throw new CliError('give --file, or --issuer, --audience, --jwks-url and at least one --rule');
        body = { issuer: opts.issuer, audience: opts.audience, jwksUrl: opts.jwksUrl, claim: opts.claim, rules: opts.rule.map(parseRule) };
      }
      const res = await callApi<IssuerJson>(resolveConnection(opts), 'PUT', path(name), body);
      if (opts.output === 'json') return printResult('json', res.body);
      console.log(`${res.status === 201 ? 'created' : 'updated'} trusted issuer ${res.body.name} (${res.body.issuer})`);
    });

  withConnection(issuer.command('delete <name>').description('delete a trusted issuer (its refresh tokens stop working)')).action(async (name: string, opts: Opts) => {
    await callApi(resolveConnection(opts), 'DELETE', path(name));
    if (opts.output === 'json') printResult('json', { deleted: name });
    else console.log(`deleted trusted issuer ${name}`);
  });
}
