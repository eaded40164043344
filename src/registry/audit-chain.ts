/**
 * The audit chain's two operations (GET /api/v1/audit/verify and /api/v1/audit/export):
 * Owner only (`admin`), since both show every entry, those naming held manifests included.
 * The chain itself is defined in src/metadata/audit-chain.ts.
 */
import { registryError } from '../errors/index.ts';
import { exportLine, verifyChain, type ChainedRow, type ChainReport, type ExportLine } from '../metadata/audit-chain.ts';
import type { Ctx } from './context.ts';

const PAGE = 1000;

function mustAdminister(ctx: Ctx): void {
  if (!ctx.access.canRegistry('admin')) throw registryError('DENIED', 'the audit chain is checked and exported by Owners (registry action admin)');
}

/** Chained entries with seq >= `fromSeq`, page by page, in seq order. */
async function* chainFrom(ctx: Ctx, fromSeq: number): AsyncGenerator<ChainedRow> {
  let afterSeq = fromSeq - 1;
  for (;;) {
    const page = await ctx.store.audit.chain({ afterSeq, n: PAGE });
    yield* page;
    if (page.length < PAGE) return;
    afterSeq = page.at(-1)!.seq;
  }
}

export async function verifyAudit(ctx: Ctx): Promise<ChainReport> {
  mustAdminister(ctx);
  const report = await verifyChain(chainFrom(ctx, 1));
  if (!report.ok) return report;
  // A row with no place in the chain was written around the store: a forgery or a repair
  // someone did by hand, either way not something the chain vouches for.
  const stray = await ctx.store.audit.firstUnchained();
  if (stray === undefined) return report;
  return { ...report, ok: false, broken: { id: stray, seq: null, problem: 'unchained', message: `entry ${stray} has no place in the chain (no seq): it was written around the registry` } };
}

/**
 * Export lines from the first entry written at or after `since` (everything without it) to
 * the newest, in chain order: a contiguous segment, so its first line's prevHash is the hash
 * of the last line of the export before it.
 */
export async function exportAudit(ctx: Ctx, since: Date | undefined): Promise<AsyncIterable<ExportLine>> {
  mustAdminister(ctx);
  const from = since === undefined ? 1 : await ctx.store.audit.firstSeqSince(since);
  async function* lines(): AsyncGenerator<ExportLine> {
    if (from === undefined) return;
    for await (const row of chainFrom(ctx, from)) yield exportLine(row);
  }
  return lines();
}
