/**
 * `lazaret scan REF` (scan now and wait, with progress), `lazaret scan status`, `lazaret scan
 * report REF [--format table|json|sarif]`: the scan orchestrator through /api/v1/scans.
 * REF is REPO:TAG or REPO@DIGEST.
 */
import type { Command } from 'commander';
import { CliError, callApi, printResult, resolveConnection, withConnection, type Connection, type ConnectionOptions } from '../api-client.ts';
import type { Static } from 'typebox';
import type * as S from '../../scan/scan-schemas.ts';
import type { HarborVulnerabilityReport } from '../../scan/harbor-api.ts';
import { toSarif } from './scan-sarif.ts';

type Opts = ConnectionOptions & { output?: string };

type JobView = Static<typeof S.ScanJobView>;
type JobList = Static<typeof S.ScanJobList>;
type Overview = Static<typeof S.ScansOverview>;

export function parseRef(ref: string): { repository: string; digest?: string; tag?: string } {
  const at = ref.indexOf('@');
  if (at > 0) return { repository: ref.slice(0, at), digest: ref.slice(at + 1) };
  const colon = ref.lastIndexOf(':');
  if (colon > 0 && !ref.slice(colon).includes('/')) return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  throw new CliError(`${ref}: expected REPO:TAG or REPO@DIGEST`);
}

const counts = (c: Record<string, number>) => ['Critical', 'High', 'Medium', 'Low', 'Unknown'].filter((s) => (c[s] ?? 0) > 0).map((s) => `${c[s]} ${s}`).join(', ') || 'no findings';
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

async function latestJob(conn: Connection, ref: string): Promise<JobView> {
  const r = parseRef(ref);
  const which = r.digest ? `digest=${encodeURIComponent(r.digest)}` : `tag=${encodeURIComponent(r.tag!)}`;
  const res = await callApi<JobList>(conn, 'GET', `/api/v1/scans?repository=${encodeURIComponent(r.repository)}&${which}&state=succeeded&n=1`);
  const job = res.body.scans[0];
  if (!job) throw new CliError(`no finished scan of ${ref}`);
  return job;
}

export function registerScan(program: Command) {
  const scan = withConnection(
    program
      .command('scan')
      .description('scan an image now and wait for the result (REF: REPO:TAG or REPO@DIGEST); `scan status`, `scan report`')
      .argument('[ref]')
      .option('--no-wait', 'start the scan and return')
      .option('--timeout <seconds>', 'give up waiting after this long', '1800'),
  ).action(async (ref: string | undefined, opts: Opts & { wait: boolean; timeout: string }) => {
    if (!ref) {
      scan.help();
      return;
    }
    const conn = resolveConnection(opts);
    const r = parseRef(ref);
    const started = await callApi<JobView>(conn, 'POST', '/api/v1/scans', r);
    let job = started.body;
    if (!opts.wait) return printResult(opts.output, job, [{ id: job.id, state: job.state, status: job.status }]);
    const end = Date.now() + Number(opts.timeout) * 1000;
    let last = '';
    while (!TERMINAL.has(job.state)) {
      if (Date.now() > end) throw new CliError(`still ${job.state} after ${opts.timeout} s: ${job.status ?? ''}`);
      const line = `${job.state}: ${job.status ?? ''}`;
      if (line !== last && opts.output !== 'json') console.error(line);
      last = line;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      job = (await callApi<JobView>(conn, 'GET', `/api/v1/scans/${job.id}`)).body;
    }
    if (opts.output === 'json') return printResult('json', job);
    console.log(`${job.repository}@${job.digest}: ${job.state}${job.summary ? ` — ${job.summary.failed ? 'FAILED' : 'passed'}: ${counts(job.summary.counts)}` : job.status ? ` — ${job.status}` : ''}`);
    if (job.state !== 'succeeded' || job.summary?.failed) process.exitCode = 1;
  });

  withConnection(scan.command('status').description('scanners and the scan queue').option('--all', 'finished scans too')).action(async (opts: Opts & { all?: boolean }) => {
    const conn = resolveConnection(opts);
    const overview = await callApi<Overview>(conn, 'GET', '/api/v1/scans/overview');
    const jobs = await callApi<JobList>(conn, 'GET', `/api/v1/scans?n=50${opts.all ? '' : '&state=pending,submitted'}`);
    if (opts.output === 'json') return printResult('json', { ...overview.body, scans: jobs.body.scans });
    for (const s of overview.body.scanners) console.log(`scanner ${s.name}: ${s.health.state}${s.health.unreachableSince ? ` since ${s.health.unreachableSince}` : ''}`);
    console.log(`${overview.body.scanning} scanning, ${overview.body.waiting} waiting`);
    printResult(undefined, jobs.body.scans, jobs.body.scans.map((j) => ({ image: `${j.repository}@${j.digest.slice(0, 19)}`, state: j.state, scanner: j.scanner ?? '', status: j.status ?? '' })));
  });

  withConnection(
    scan.command('report <ref>').description("the latest scan's findings").option('--format <format>', 'table, json or sarif', 'table'),
  ).action(async (ref: string, opts: Opts & { format: string }) => {
    if (!['table', 'json', 'sarif'].includes(opts.format)) throw new CliError('--format must be table, json or sarif');
    const conn = resolveConnection(opts);
    const job = await latestJob(conn, ref);
    const res = await callApi<HarborVulnerabilityReport>(conn, 'GET', `/api/v1/scans/${job.id}/report`);
    const vulns = res.body.vulnerabilities ?? [];
    if (opts.format === 'json') return printResult('json', res.body);
    if (opts.format === 'sarif') return console.log(JSON.stringify(toSarif(res.body, `${job.repository}@${job.digest}`), null, 2));
    console.log(`${job.repository}@${job.digest} (scanner ${job.scanner ?? '?'}, ${job.finishedAt ?? job.state}): ${job.summary ? counts(job.summary.counts) : job.status}`);
    const order = ['Critical', 'High', 'Medium', 'Low', 'Unknown'];
    const rows = [...vulns].sort((a, b) => order.indexOf(a.severity ?? 'Unknown') - order.indexOf(b.severity ?? 'Unknown')).map((v) => ({ id: v.id, severity: v.severity ?? 'Unknown', package: v.package, installed: v.version, fixed: v.fix_version ?? '' }));
    printResult(undefined, vulns, rows);
  });
}
