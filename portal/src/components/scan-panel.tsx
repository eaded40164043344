/**
 * A manifest's scan on its page: the newest job's state and status line ("scanning (scanner
 * builtin, since 10:42 UTC)", "waiting for scanner trivy: unreachable since ..."), the findings
 * summary, the findings of the report (filter by severity and "fix available", sorted by
 * severity), links to the report and SBOM referrers, and earlier scans. Scan jobs are visible to
 * quarantine readers and `configure` holders only; for others the panel says so and shows
 * nothing else (the registry decides, the portal does not filter).
 */
import { useMemo, useState } from 'preact/hooks';
import { getReferrers } from '../api/acr.ts';
import { ApiError } from '../api/client.ts';
import { countsText, REPORT_TYPES, scanReport, scansOf, SEVERITIES, type ReportFinding, type ScanJob } from '../api/scanning.ts';
import { href } from '../router.ts';
import { useAsync } from '../use-async.ts';
import { ago, when } from '../format.ts';
import { Empty } from './status.tsx';
import { AsyncView, noteWhen } from './async-view.tsx';
import { DataTable, type Column } from './data-table.tsx';

const STATE_WORDS: Record<ScanJob['state'], string> = {
  pending: 'waiting',
  submitted: 'scanning',
  succeeded: 'scanned',
  failed: 'scan failed',
  cancelled: 'cancelled',
};
const rank = (severity: string) => {
  const i = (SEVERITIES as readonly string[]).indexOf(severity);
  return i === -1 ? SEVERITIES.length : i;
};

export function ScanPanel({ name, digest }: { name: string; digest: string }) {
  const jobs = useAsync(() => scansOf(name, digest), [name, digest]);
  // The report and SBOMs as referrers (visible when the subject is, as for any referrer).
  const referrers = useAsync(() => getReferrers(name, digest).then((d) => d.manifests ?? []).catch(() => []), [name, digest]).data;
  const reportLinks = (referrers ?? []).filter((r) => Object.values(REPORT_TYPES).includes(r.artifactType as never));
  return (
    <AsyncView
      heading="Scan"
      state={jobs}
      what="read this manifest's scans"
      loading="Loading scans…"
      empty="No scan has been requested for this manifest."
      onError={noteWhen(isHidden, 'Scan jobs are visible to quarantine readers, owners and contributors.')}
    >
      {(all) => <Scans name={name} jobs={all} reportLinks={reportLinks} />}
    </AsyncView>
  );
}

/** The registry answers 403/404 to one who may not see scan jobs: a note, not an error. */
const isHidden = (e: Error) => e instanceof ApiError && (e.status === 403 || e.status === 404);

function Scans({ name, jobs, reportLinks }: { name: string; jobs: ScanJob[]; reportLinks: { digest: string; artifactType?: string }[] }) {
  const latest = jobs[0];
  return (
    <>
      {latest && (
        <div class="card scan-panel">
          <dl class="kv">
            <dt>State</dt>
            <dd>
              <span class={`badge scan-${latest.state === 'succeeded' && latest.summary?.failed ? 'failed' : latest.state}`}>{STATE_WORDS[latest.state]}</span>{' '}
              <span class="scan-status">{latest.status ?? ''}</span>
            </dd>
            <dt>Scanner</dt>
            <dd>{latest.scanner ?? 'not chosen yet'}</dd>
            {latest.summary && (
              <>
                <dt>Findings</dt>
                <dd class="scan-summary">
                  {countsText(latest.summary.counts)}
                  {latest.summary.failed ? ' (fails the image)' : ''}
                </dd>
              </>
            )}
            <dt>{latest.finishedAt ? 'Finished' : 'Requested'}</dt>
            <dd title={when(latest.finishedAt ?? latest.createdAt)}>{ago(latest.finishedAt ?? latest.createdAt)}</dd>
            {latest.vulnerabilityDatabaseUpdatedAt && (
              <>
                <dt>Database</dt>
                <dd title={when(latest.vulnerabilityDatabaseUpdatedAt)}>updated {ago(latest.vulnerabilityDatabaseUpdatedAt)}</dd>
              </>
            )}
          </dl>
          {reportLinks.length > 0 && (
            <p class="scan-links">
              {reportLinks.map((r, i) => (
                <span key={r.digest}>
                  {i > 0 && ' · '}
                  <a href={href.manifest(name, r.digest)}>{labelOf(r.artifactType)}</a>
                </span>
              ))}
            </p>
          )}
          {latest.state === 'succeeded' && latest.kind === 'image' && <Findings jobId={latest.id} />}
        </div>
      )}
      {jobs.length > 1 && (
        <details class="scan-history">
          <summary>Earlier scans ({jobs.length - 1})</summary>
          <ul>
            {jobs.slice(1).map((j) => (
              <li key={j.id}>
                <span title={when(j.createdAt)}>{ago(j.createdAt)}</span>: {j.reason}, {STATE_WORDS[j.state]}
                {j.summary ? `, ${countsText(j.summary.counts)}` : ''}
                {j.scanner ? ` (scanner ${j.scanner})` : ''}
              </li>
            ))}
          </ul>
        </details>
      )}
    </>
  );
}

function labelOf(artifactType: string | undefined): string {
  if (artifactType === REPORT_TYPES.vulnerability) return 'Vulnerability report';
  if (artifactType === REPORT_TYPES.cyclonedx) return 'SBOM (CycloneDX)';
  if (artifactType === REPORT_TYPES.spdx) return 'SBOM (SPDX)';
  return artifactType ?? 'artifact';
}

/** Harbor's report may leave a finding's severity out (as the CLI, it reads as Unknown). */
const severityOf = (v: ReportFinding) => v.severity ?? 'Unknown';

const FINDING_COLUMNS: Column<ReportFinding>[] = [
  { header: 'Advisory', cell: (v) => (v.links?.[0] ? <a href={v.links[0]} rel="noreferrer noopener" target="_blank">{v.id}</a> : v.id) },
  { header: 'Severity', cell: (v) => <span class={`sev sev-${severityOf(v).toLowerCase()}`}>{severityOf(v)}</span> },
  { header: 'Package', cellClass: 'break', cell: (v) => v.package },
  { header: 'Installed', cellClass: 'mono break', cell: (v) => v.version },
  { header: 'Fixed in', cellClass: 'mono break', cell: (v) => v.fix_version ?? '—' },
];

function Findings({ jobId }: { jobId: string }) {
  const report = useAsync(() => scanReport(jobId), [jobId]);
  return (
    <AsyncView
      state={report}
      what="read the vulnerability report"
      loading="Loading findings…"
      empty="The scanner found no known vulnerabilities."
      isEmpty={(r) => (r.vulnerabilities?.length ?? 0) === 0}
    >
      {(r) => <FilteredFindings all={r.vulnerabilities ?? []} />}
    </AsyncView>
  );
}

function FilteredFindings({ all }: { all: ReportFinding[] }) {
  const [severity, setSeverity] = useState('all');
  const [fixable, setFixable] = useState(false);
  const rows = useMemo(
    () =>
      all
        .filter((v) => (severity === 'all' || severityOf(v) === severity) && (!fixable || Boolean(v.fix_version)))
        .sort((a, b) => rank(severityOf(a)) - rank(severityOf(b)) || a.package.localeCompare(b.package) || a.id.localeCompare(b.id)),
    [all, severity, fixable],
  );
  return (
    <>
      <div class="filters">
        <label>
          Severity{' '}
          <select value={severity} onChange={(e) => setSeverity((e.target as HTMLSelectElement).value)}>
            <option value="all">all</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={fixable} onChange={(e) => setFixable((e.target as HTMLInputElement).checked)} /> Fix available
        </label>
        <span class="muted">
          {rows.length} of {all.length}
        </span>
      </div>
      {rows.length === 0 ? (
        <Empty>No finding matches the filter.</Empty>
      ) : (
        <DataTable caption="Findings" tableClass="findings" columns={FINDING_COLUMNS} rows={rows} rowKey={(v, i) => `${v.id}-${v.package}-${i}`} />
      )}
    </>
  );
}
