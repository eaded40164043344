/**
 * An image index's scan: adapters consume image manifests only, so an index is judged by its
 * children (each scanned as its own job, queued when it was pushed or here when missing).
 * Any child Failed -> the index Failed; every child Passed -> Passed; otherwise it waits.
 * The verdict goes through the registry service (changeVerdictIn) like any other, audited as `scanner:index`.
 */
import type { ManifestRecord } from '../metadata/metadata-store.ts';
import type { Digest } from '../oci/index.ts';
import { gatedIn } from '../quarantine/policy.ts';
import { scanVerdictAccess } from './verdict-access.ts';
import type { ClaimedJob, ScanSummary } from './job-store.ts';
import { mergeSummaries, verdictAfterScan, type FinishDeps } from './finish-scan.ts';
import { queueScan } from './scan-lifecycle.ts';
import { countsText } from './verdict-of-report.ts';

export async function stepIndexJob(deps: FinishDeps, job: ClaimedJob, index: ManifestRecord): Promise<{ kind: 'done'; failed: boolean } | { kind: 'wait'; message: string }> {
  const { store } = deps;
  const children: { digest: string; state: string }[] = [];
  const summaries: ScanSummary[] = [];
  let undecided = 0;
  for (const c of index.children) {
    const v = await store.verdicts.get(index.repository, c.digest);
    const state = v?.state ?? 'absent';
    children.push({ digest: c.digest, state });
    const latest = await store.scanJobs.latest(index.repository, c.digest, ['succeeded']);
    if (latest?.summary) summaries.push(latest.summary);
    if (state === 'Passed' || state === 'Failed') continue;
    undecided++;
    if (!(await store.scanJobs.latest(index.repository, c.digest, ['pending', 'submitted']))) {
      await store.transaction((tx) => queueScan(tx, index.repository, c.digest as Digest, job.reason === 'db-update' ? 'rescan' : job.reason));
    }
  }
  const failed = children.some((c) => c.state === 'Failed');
  if (!failed && undecided > 0) return { kind: 'wait', message: `waiting for ${undecided} of ${children.length} child image(s)` };
  const summary = { ...mergeSummaries(summaries, failed), children };
  const details = JSON.stringify({
    scanner: 'index',
    state: failed ? `scan failed: ${children.filter((c) => c.state === 'Failed').length} of ${children.length} child image(s) failed` : `scan passed: all ${children.length} child image(s) passed`,
    result: { version: 'index', summary: [{ severity: 'Critical', count: summary.counts.Critical ?? 0 }, { severity: 'High', count: summary.counts.High ?? 0 }, { severity: 'Medium', count: summary.counts.Medium ?? 0 }, { severity: 'Low', count: summary.counts.Low ?? 0 }, { severity: 'None', count: summary.counts.Unknown ?? 0 }] },
  });
  await store.transaction(async (tx) => {
    const policyOn = await gatedIn(tx, index.repository);
    const current = (await tx.verdicts.get(index.repository, index.digest))?.state;
    const next = verdictAfterScan(policyOn, current, job.reason, failed);
    const base = deps.registryUrl();
    const request = { id: job.id, host: base ? new URL(base).host : '', method: 'PATCH', useragent: 'lazaret-scan (index)', actor: 'scanner:index' };
    if (next) await deps.registry.as(scanVerdictAccess(request.actor, index.repository)).changeVerdictIn(tx, index, { state: next, details }, request);
    const ok = await tx.scanJobs.release(job, { state: 'succeeded', summary, finishedAt: new Date(), statusMessage: `${failed ? 'failed' : 'passed'}: ${countsText(summary.counts)}` });
    if (!ok) throw new Error('claim lost');
  });
  return { kind: 'done', failed };
}
