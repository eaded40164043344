/**
 * A scan's report arrived: fetch its SBOMs, have the registry service write the report
 * artifacts' bytes, then in ONE transaction record the referrers and set the verdict through
 * the registry service as `scanner:<name>` (recordReferrersIn: their verdict follows the
 * subject's, their digests claimed against the garbage collector; changeVerdictIn: audited,
 * lifecycle hooks, `push` events on release),
 * raise a `scan` event when the findings differ from the previous scan's, and end the job
 * under its claim (a lost claim rolls everything back: another node finishes it instead).
 *
 * Which verdicts a scan may change (docs/scanning.md "Verdicts"): with the policy on, a
 * manifest that is Quarantined or has no verdict gets Passed or Failed; a Failed one gets the
 * new result of an explicit rescan (not of a database-update rescan); a Passed one is never
 * changed by a scan (what a new finding does to a released image is the Release policy's
 * decision): its report and `scan` event still say what was found.
 */
import type { Registry } from '../registry/index.ts';
import type { ManifestRecord } from '../metadata/metadata-store.ts';
import type { ScanStore as MetadataStore } from './store/index.ts';
import type { Digest } from '../oci/index.ts';
import type { QuarantineState } from '../quarantine/verdicts.ts';
import { gatedIn } from '../quarantine/policy.ts';
import { scanVerdictAccess } from './verdict-access.ts';
import type { RequestFacts } from '../events/index.ts';
import type { HarborVulnerabilityReport } from './harbor-api.ts';
import { raiseEvent } from '../events/index.ts';
import { scanEvent } from '../events/index.ts';
import type { AdapterClient } from './adapter-client.ts';
import { AdapterError } from './adapter-client.ts';
import { MIME, sbomTypesOf, type AdapterMetadata } from './harbor-api.ts';
import type { ClaimedJob, ScanJob, ScanSummary } from './job-store.ts';
import { countsText, parseVulnerabilityReport, quarantineDetailsOf, summarize, type FailOn } from './verdict-of-report.ts';
import { annotatedReports, latestArtifacts, VULNERABILITY_REPORT_TYPE, type ReportDocument } from './report-artifacts.ts';
import type { ScannerRecord } from './scanner-store.ts';
import { RegistryError } from '../errors/index.ts';

/**
 * A release policy's say over a scan's verdict (src/release-policy/release-services.ts): for an
 * image a release policy governs, `prepare` evaluates it on this very report and SBOMs before
 * the transaction, `decide` applies the evaluation inside it (true: decided, the threshold below
 * does not apply). Repositories no release policy governs keep `failOn`.
 */
export interface ScanVerdictDecider {
  prepare(manifest: ManifestRecord, scan: { report: HarborVulnerabilityReport; createdAt: Date; scanner: string; sboms: ReportDocument[] }): Promise<unknown>;
  decide(tx: Parameters<Parameters<MetadataStore['transaction']>[0]>[0], manifest: ManifestRecord, prepared: never, request: RequestFacts): Promise<boolean>;
}

export interface FinishDeps {
  store: MetadataStore;
  decider?: ScanVerdictDecider;
  /** The verdict goes through the registry service (changeVerdictIn), as the scanner's principal. */
  registry: Registry;
  failOn: FailOn;
  wakeWebhooks: () => void;
  registryUrl: () => string | undefined;
}

/** `done` with `failed` when this call ended the job (by its findings); without it when another node did (lost claim). */
export type FinishResult = { kind: 'done'; failed?: boolean } | { kind: 'wait'; message: string; retryAfterMs: number } | { kind: 'error'; message: string };

class ClaimLost extends Error {}

/** The verdict a finished scan gives, or undefined when it may not change the current one. */
export function verdictAfterScan(policyEnabled: boolean, current: QuarantineState | undefined, reason: ScanJob['reason'], failed: boolean): QuarantineState | undefined {
  if (!policyEnabled || current === 'Passed') return undefined;
  if (current === 'Failed' && reason === 'db-update') return undefined;
  return failed ? 'Failed' : 'Passed';
}

async function fetchSboms(client: AdapterClient, scanner: ScannerRecord, adapterJobId: string): Promise<ReportDocument[] | { wait: number }> {
  const meta = scanner.metadata as AdapterMetadata | undefined;
  const docs: ReportDocument[] = [];
  for (const type of meta ? sbomTypesOf(meta) : []) {
    let answer;
    try {
      answer = await client.report(adapterJobId, MIME.sbomReport, type);
    } catch (err) {
      if (err instanceof AdapterError && err.kind === 'unreachable') throw err;
      continue; // The adapter does not serve this SBOM: the verdict does not depend on it.
    }
    if (answer.kind === 'pending') return { wait: answer.retryAfterMs };
    if (answer.kind !== 'ready') continue;
    try {
      const report = JSON.parse(answer.body) as { sbom?: unknown; media_type?: unknown };
      // An adapter that answers with another SBOM format than asked for: keep it under its own type only.
      if (report.media_type !== undefined && report.media_type !== type) continue;
      if (report.sbom !== undefined && report.sbom !== null) docs.push({ artifactType: type, bytes: Buffer.from(JSON.stringify(report.sbom)) });
    } catch {
      /* an unreadable SBOM is left out; the vulnerability report decides */
    }
  }
  return docs;
}

export async function finishScan(deps: FinishDeps, job: ClaimedJob, scanner: ScannerRecord, client: AdapterClient, body: string): Promise<FinishResult> {
  const { store } = deps;
  let report;
  try {
    report = parseVulnerabilityReport(body);
  } catch (err) {
    return { kind: 'error', message: `scanner ${scanner.name}: ${(err as Error).message}` };
  }
  let sboms;
  try {
    sboms = await fetchSboms(client, scanner, job.adapterJobId!);
  } catch (err) {
    return { kind: 'wait', message: `scanning (scanner ${scanner.name}): ${(err as Error).message}`, retryAfterMs: 5_000 };
  }
  if (!Array.isArray(sboms)) return { kind: 'wait', message: `scanning (scanner ${scanner.name}): waiting for the SBOM`, retryAfterMs: sboms.wait };

  const summary = summarize(report, deps.failOn);
  const manifest = await store.manifests.get(job.repository, job.digest as Digest);
  if (!manifest) return { kind: 'error', message: 'the manifest was deleted' };
  const previous = await store.scanJobs.latest(job.repository, job.digest, ['succeeded']);
  const changed = !previous || previous.summary?.fingerprint !== summary.fingerprint;
  const known = await latestArtifacts(store, job.repository, job.digest);
  // A database-update rescan that found the same gets no new report (nothing changed).
  const writeReport = changed || !known.has(VULNERABILITY_REPORT_TYPE) || job.reason !== 'db-update';
  const docs: ReportDocument[] = writeReport ? [{ artifactType: VULNERABILITY_REPORT_TYPE, bytes: Buffer.from(body) }, ...sboms] : [];
  const actor = `scanner:${scanner.name}`;
  // The report referrers and the verdict go through the registry service as the scanner's principal.
  const registry = deps.registry.as(scanVerdictAccess(actor, job.repository));
  const prepared = await registry.prepareReferrers(manifest, annotatedReports(docs, { jobId: job.id, scanner: scanner.name, created: new Date(), supersedes: known }));
  const reportDigest = prepared.find((p) => p.artifactType === VULNERABILITY_REPORT_TYPE)?.input.digest ?? known.get(VULNERABILITY_REPORT_TYPE);
  const base = deps.registryUrl() ?? '';
  const scannerVersion = report.scanner ? `${report.scanner.name} ${report.scanner.version}` : scanner.name;
  const details = quarantineDetailsOf(summary, { scanner: scanner.name, scannerVersion, link: reportDigest ? `${base}/v2/${job.repository}/manifests/${reportDigest}` : `${base}/api/v1/scans/${job.id}`, failOn: deps.failOn });

  const decision = deps.decider ? await deps.decider.prepare(manifest, { report, createdAt: new Date(), scanner: scanner.name, sboms }) : undefined;
  let queued = false;
  try {
    await store.transaction(async (tx) => {
      const policyOn = await gatedIn(tx, job.repository);
      const current = (await tx.verdicts.get(job.repository, job.digest as Digest))?.state;
      const request = { id: job.id, host: base ? new URL(base).host : '', method: 'PATCH', useragent: `lazaret-scan (scanner ${scanner.name})`, actor };
      const threshold = verdictAfterScan(policyOn, current, job.reason, summary.failed);
      // The referrers first: their garbage-collector claims (locks) are taken before any audit
      // append (the audit chain's lock), the order every writer keeps, so two transactions never
      // wait on each other on PostgreSQL. With a release policy to ask they start at the current
      // verdict and follow whatever it decides, through the verdict path.
      await registry.recordReferrersIn(tx, { subject: manifest, referrers: prepared, state: decision === undefined ? (threshold ?? current) : current, jobId: job.id });
      let next: QuarantineState | undefined;
      if (decision !== undefined && (await deps.decider!.decide(tx, manifest, decision as never, request))) {
        next = undefined;
      } else {
        next = threshold;
        if (next) await registry.changeVerdictIn(tx, manifest, { state: next, details }, request);
      }
      if (changed) {
        const state = next ?? (await tx.verdicts.get(job.repository, job.digest as Digest))?.state ?? current;
        const tag = (await tx.tags.list(job.repository, { digest: job.digest as Digest, n: 1 }))[0]?.name;
        const names = await raiseEvent(
          tx,
          scanEvent({ repository: job.repository, digest: job.digest, mediaType: manifest.mediaType, size: manifest.size, ...(tag ? { tag } : {}) }, request, {
            scanner: scanner.name,
            reason: job.reason,
            counts: summary.counts,
            ...(previous?.summary ? { previousCounts: previous.summary.counts } : {}),
            failed: summary.failed,
            ...(state ? { quarantineState: state } : {}),
            ...(reportDigest ? { report: reportDigest } : {}),
          }),
        );
        queued = names.length > 0;
        if (previous) {
          await tx.audit.append({
            actor: `scanner:${scanner.name}`,
            action: 'scan.change',
            target: `${job.repository}@${job.digest}`,
            before: { counts: previous.summary?.counts ?? null },
            after: { counts: summary.counts },
            details: `${job.reason} scan: ${countsText(summary.counts)}${reportDigest ? `; report ${reportDigest}` : ''}`,
            requestId: job.id,
          });
        }
      }
      const ok = await tx.scanJobs.release(job, {
        state: 'succeeded',
        summary,
        report: body,
        dbUpdatedAt: scanner.dbUpdatedAt ?? null,
        finishedAt: new Date(),
        credentialHash: null,
        credentialExpiresAt: null,
        statusMessage: `${summary.failed ? 'failed' : 'passed'}: ${countsText(summary.counts)}`,
      });
      if (!ok) throw new ClaimLost();
    });
  } catch (err) {
    if (err instanceof ClaimLost) return { kind: 'done' };
    // Deleted between the read above and the transaction: nothing was written.
    if (err instanceof RegistryError && err.code === 'MANIFEST_UNKNOWN') return { kind: 'error', message: 'the manifest was deleted' };
    throw err;
  }
  if (queued) deps.wakeWebhooks();
  return { kind: 'done', failed: summary.failed };
}

/** Sums children's summaries (an index's). */
export function mergeSummaries(summaries: ScanSummary[], failed: boolean): ScanSummary {
  const counts: Record<string, number> = { Critical: 0, High: 0, Medium: 0, Low: 0, Unknown: 0 };
  for (const s of summaries) for (const [k, v] of Object.entries(s.counts)) counts[k] = (counts[k] ?? 0) + v;
  const rank = ['Unknown', 'Low', 'Medium', 'High', 'Critical'];
  const topFindings = summaries.flatMap((s) => s.topFindings).sort((a, b) => rank.indexOf(b.severity) - rank.indexOf(a.severity)).slice(0, 10);
  return { counts, failed, topFindings };
}

export type { ManifestRecord };
