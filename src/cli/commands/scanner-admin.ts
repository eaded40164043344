/**
 * `lazaret scanner add|list|check|remove`: the registry's scanners through /api/v1/scanners
 * (Owner/Contributor). `--auth basic:USER:PASS | bearer:TOKEN | api-key:KEY` (write-only).
 */
import type { Command } from 'commander';
import type { Static } from 'typebox';
import type * as S from '../../scan/scan-schemas.ts';
import { CliError, callApi, printResult, resolveConnection, withConnection, type ConnectionOptions } from '../api-client.ts';

type Opts = ConnectionOptions & { output?: string };

type ScannerView = Static<typeof S.ScannerView>;

const path = (name: string) => `/api/v1/scanners/${encodeURIComponent(name)}`;
const collect = (value: string, previous: string[] = []) => [...previous, value];

export function parseAuthOption(value: string | undefined): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (value === 'none') return { type: 'none' };
  const i = value.indexOf(':');
  const kind = i < 0 ? value : value.slice(0, i);
  const rest = i < 0 ? '' : value.slice(i + 1);
  if (kind === 'basic') {
    const j = rest.indexOf(':');
    if (j <= 0) throw new CliError('--auth basic:USER:PASSWORD');
    return { type: 'basic', username: rest.slice(0, j), password: rest.slice(j + 1) };
  }
  if ((kind === 'bearer' || kind === 'api-key') && rest) return { type: kind, token: rest };
  throw new CliError('--auth must be none, basic:USER:PASSWORD, bearer:TOKEN or api-key:KEY');
}

function row(s: ScannerView) {
  return {
    name: s.name,
    url: s.url,
    health: s.health.state + (s.health.unreachableSince ? ` since ${s.health.unreachableSince.slice(11, 16)}` : ''),
    scanner: s.scanner ? `${s.scanner.name} ${s.scanner.version}` : '',
    db: s.vulnerabilityDatabaseUpdatedAt ?? '',
    patterns: s.default ? `${s.patterns.join(',')} (default)` : s.patterns.join(','),
    enabled: s.enabled ? 'yes' : 'no',
  };
}

export function registerScannerAdmin(scanner: Command) {
  withConnection(
    scanner
      .command('add <name>')
      .description('register a Harbor Pluggable Scanner API adapter (reads its metadata at once)')
      .requiredOption('--url <url>', "the adapter's base URL (without /api/v1)")
      .option('--auth <auth>', 'none | basic:USER:PASSWORD | bearer:TOKEN | api-key:KEY')
      .option('--pattern <pattern>', 'a repository pattern it covers (repeatable; default *)', collect)
      .option('--default', 'scan every repository no other scanner covers')
      .option('--disabled', 'register it disabled'),
  ).action(async (name: string, opts: Opts & { url: string; auth?: string; pattern?: string[]; default?: boolean; disabled?: boolean }) => {
    const auth = parseAuthOption(opts.auth);
    const body = { name, url: opts.url, ...(auth ? { auth } : {}), ...(opts.pattern ? { patterns: opts.pattern } : {}), default: opts.default === true, enabled: !opts.disabled };
    const res = await callApi<ScannerView>(resolveConnection(opts), 'POST', '/api/v1/scanners', body);
    if (opts.output === 'json') printResult('json', res.body);
    else console.log(`scanner ${res.body.name} added: ${res.body.health.state}${res.body.health.message ? ` (${res.body.health.message})` : ''}`);
  });

  withConnection(scanner.command('list').description('registered scanners with their health')).action(async (opts: Opts) => {
    const res = await callApi<Static<typeof S.ScannerList>>(resolveConnection(opts), 'GET', '/api/v1/scanners');
    printResult(opts.output, res.body.scanners, res.body.scanners.map(row));
  });

  withConnection(scanner.command('check <name>').description("read a scanner's metadata now and show its health")).action(async (name: string, opts: Opts) => {
    const res = await callApi<ScannerView>(resolveConnection(opts), 'POST', path(name) + '/check');
    printResult(opts.output, res.body, [row(res.body)]);
    if (res.body.health.state !== 'healthy') {
      console.error(`scanner ${name} is ${res.body.health.state}${res.body.health.message ? `: ${res.body.health.message}` : ''}`);
      process.exitCode = 1;
    }
  });

  withConnection(scanner.command('remove <name>').description('unregister a scanner (its waiting jobs wait for another one)')).action(async (name: string, opts: Opts) => {
    await callApi(resolveConnection(opts), 'DELETE', path(name));
    console.log(`scanner ${name} removed`);
  });
}
