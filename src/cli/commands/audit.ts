/**
 * `lazaret audit list`: the audit log, newest first (Owner, Contributor, Reader).
 * `lazaret audit verify`: the hash chain checked by the registry, or an export file checked
 * here (`--file`); exit 1 naming the first entry that breaks it. `lazaret audit export`: JSON
 * lines to stdout (Owner). docs/operations.md "Audit chain".
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { Static } from 'typebox';
import type { AuditPage, AuditVerifyResult } from '../../management-api/audit-schemas.ts';
import { rowOfExportLine, verifyChain, type ChainedRow, type ExportLine } from '../../metadata/audit-chain.ts';
import { CliError, callApi, printResult, resolveConnection, streamApi, withConnection, type ConnectionOptions } from '../api-client.ts';

type VerifyResult = Static<typeof AuditVerifyResult>;

/** The rows of an export file, in file order; a line that is not an export line stops with its number. */
async function* exportFileRows(file: string): AsyncGenerator<ChainedRow> {
  let n = 0;
  for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY })) {
    n++;
    if (text.trim() === '') continue;
    let line: ExportLine;
    try {
      line = JSON.parse(text) as ExportLine;
    } catch {
      throw new CliError(`${file}:${n}: not JSON`);
    }
    if (typeof line?.seq !== 'number' || typeof line.hash !== 'string' || typeof line.prevHash !== 'string') throw new CliError(`${file}:${n}: not an audit export line (seq, prevHash, hash missing)`);
    yield rowOfExportLine(line);
  }
}

/** An export checked offline: a segment starts wherever its first line does, linked to what came before by that line's prevHash. */
async function verifyFile(file: string): Promise<VerifyResult> {
  const rows = exportFileRows(file);
  const first = await rows.next();
  if (first.done) return { ok: true, entries: 0, head: null };
  async function* all(): AsyncGenerator<ChainedRow> {
    yield first.value as ChainedRow;
    yield* rows;
  }
  const row = first.value as ChainedRow;
  return verifyChain(all(), { seq: row.seq, prevHash: row.prevHash });
}

function report(output: string | undefined, r: VerifyResult, what: string) {
  if (output === 'json') console.log(JSON.stringify(r, null, 2));
  if (r.ok) {
    if (output !== 'json') console.log(`${what} verifies: ${r.entries} entries${r.head ? `, head seq ${r.head.seq} (entry ${r.head.id}) hash ${r.head.hash}` : ''}`);
    return;
  }
  const b = r.broken!;
  console.error(`${what} is broken at entry ${b.id}${b.seq !== null ? ` (seq ${b.seq})` : ''}: ${b.problem}: ${b.message}`);
  process.exitCode = 1;
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
      const res = await callApi<Static<typeof AuditPage>>(resolveConnection(opts), 'GET', `/api/v1/audit?${q}`);
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

  withConnection(a.command('verify').description("check the audit log's hash chain (Owner); exit 1 naming the first entry that breaks it"))
    .option('--file <export>', 'check an export file (lazaret audit export) here instead of asking the registry')
    .action(async (opts: ConnectionOptions & { output?: string; file?: string }) => {
      if (opts.file) return report(opts.output, await verifyFile(opts.file), opts.file);
      const res = await callApi<VerifyResult>(resolveConnection(opts), 'GET', '/api/v1/audit/verify');
      report(opts.output, res.body, 'the audit chain');
    });

  withConnection(a.command('export').description('write the audit log as JSON lines with its hash chain, oldest first, to stdout (Owner; for a SIEM)'))
    .option('--since <date>', 'from the first entry written at or after this date (2026-01-31) or timestamp with a zone (2026-01-31T12:00:00Z)')
    .action(async (opts: ConnectionOptions & { since?: string }) => {
      const q = opts.since ? `?${new URLSearchParams({ since: opts.since })}` : '';
      await streamApi(resolveConnection(opts), `/api/v1/audit/export${q}`, process.stdout);
    });
}
