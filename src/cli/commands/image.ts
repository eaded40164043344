/**
 * `lazaret image history REPO@DIGEST|REPO:TAG [--json]`: an image's whole history, oldest first
 * (GET /api/v1/repositories/{name}/manifests/{digest}/history, every page). A tag is resolved
 * through /acr/v1 first, so a held tag is absent for those who may not see it, as everywhere.
 */
import type { Command } from 'commander';
import type { Static } from 'typebox';
import type * as Acr from '../../acr-api/acr-schemas.ts';
import type { HistoryEvent, ManifestHistory } from '../../management-api/history-schemas.ts';
import { callApi, CliError, printResult, resolveConnection, withConnection, type ConnectionOptions } from '../api-client.ts';
import { parseImageReference } from './manifest.ts';

type Opts = ConnectionOptions & { output?: string; json?: boolean; limit: string };
type Page = Static<typeof ManifestHistory>;
type Event = Static<typeof HistoryEvent>;

const enc = encodeURIComponent;
/** Pages asked of the server at once (its maximum). */
const PAGE = 500;

/** What the table's DETAIL column says beyond the summary: the policy version and the identifiers a reader looks up. */
function detail(e: Event): string {
  const parts: string[] = [];
  if (e.policy) parts.push(`policy ${e.policy.name} v${e.policy.version}`);
  if (e.exceptionsUsed?.length) parts.push(`exceptions ${e.exceptionsUsed.map((x) => `${x.vulnerability} (${x.id})`).join(', ')}`);
  else if (e.decision?.exceptions.length) parts.push(`exceptions ${e.decision.exceptions.join(',')}`);
  if (e.referrer) parts.push(`${e.referrer.scheme} ${e.referrer.digest}${e.referrer.identity ? ` signed by ${e.referrer.identity}` : ''}`);
  return parts.join('; ');
}

export function registerImage(program: Command) {
  const image = program.command('image').description("an image's history");
  withConnection(image.command('history <reference>').description('the whole history of REPO@DIGEST or REPO:TAG, oldest first: pushes, scans, verdicts (with the policy version), exceptions used, signatures, tag moves, deletes'))
    .option('--json', 'print the events as JSON (same as -o json)')
    .option('-n, --limit <n>', 'at most this many events', '5000')
    .action(async (reference: string, opts: Opts) => {
      const conn = resolveConnection(opts);
      const ref = parseImageReference(reference);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new CliError(`--limit must be a positive integer, got ${JSON.stringify(opts.limit)}`);
      const digest = ref.digest ?? (await callApi<Static<typeof Acr.AcrTag>>(conn, 'GET', `/acr/v1/${enc(ref.repository)}/_tags/${enc(ref.tag!)}`)).body.tag.digest;
      const events: Event[] = [];
      let first: Page | undefined;
      let cursor: string | undefined;
      do {
        const q = new URLSearchParams({ n: String(Math.min(PAGE, limit - events.length)), ...(cursor ? { cursor } : {}) });
        const page = (await callApi<Page>(conn, 'GET', `/api/v1/repositories/${enc(ref.repository)}/manifests/${enc(digest)}/history?${q}`)).body;
        first ??= page;
        events.push(...page.events);
        cursor = page.next;
      } while (cursor && events.length < limit);
      const whole = { ...first!, events, ...(cursor ? { next: cursor } : {}) };
      if (opts.json) return printResult('json', whole);
      printResult(opts.output, whole, events.map((e) => ({ at: e.at, kind: e.kind, actor: e.actor ?? '', summary: e.summary, detail: detail(e), source: e.source })));
      if (cursor && opts.output !== 'json') console.error(`(more events follow; raise --limit to see them)`);
    });
}
