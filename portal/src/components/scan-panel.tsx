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
import { countsText, REPORT_TYPES, scanReport, scansOf, SEVERITIES, type ScanJob } from '../api/scanning.ts';
import { href } from '../router.ts';
import { useAsync } from '../use-async.ts';
import { ago, when } from '../format.ts';
import { Empty, ErrorBox, Loading } from './status.tsx';

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
  const hidden = jobs.error instanceof ApiError && (jobs.error.status === 403 || jobs.error.status === 404);
  const latest = jobs.data?.[0];
  const reportLinks = (referrers ?? []).filter((r) => Object.values(REPORT_TYPES).includes(r.artifactType as never));
  return (
    <>
      <h2>Scan</h2>
      {jobs.loading && !jobs.data && <Loading label="Loading scans…" />}
      {jobs.error && !hidden && <ErrorBox error={jobs.error} what="read this manifest's scans" retry={jobs.reload} />}
      {hidden && <p class="muted">Scan jobs are visible to quarantine readers, owners and contributors.</p>}
      {jobs.data && !latest && <Empty>No scan has been requested for this manifest.</Empty>}
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
      {jobs.data && jobs.data.length > 1 && (
        <details class="scan-history">
          <summary>Earlier scans ({jobs.data.length - 1})</summary>
          <ul>
            {jobs.data.slice(1).map((j) => (
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

function Findings({ jobId }: { jobId: string }) {
  const report = useAsync(() => scanReport(jobId), [jobId]);
  const [severity, setSeverity] = useState('all');
  const [fixable, setFixable] = useState(false);
  const rows = useMemo(() => {
    const all = report.data?.vulnerabilities ?? [];
    return all
      .filter((v) => (severity === 'all' || v.severity === severity) && (!fixable || Boolean(v.fix_version)))
      .sort((a, b) => rank(a.severity) - rank(b.severity) || a.package.localeCompare(b.package) || a.id.localeCompare(b.id));
  }, [report.data, severity, fixable]);
  if (report.loading && !report.data) return <Loading label="Loading findings…" />;
  if (report.error) return <ErrorBox error={report.error} what="read the vulnerability report" retry={report.reload} />;
  const total = report.data?.vulnerabilities?.length ?? 0;
  if (total === 0) return <Empty>The scanner found no known vulnerabilities.</Empty>;
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
          {rows.length} of {total}
        </span>
      </div>
      {rows.length === 0 && <Empty>No finding matches the filter.</Empty>}
      <div class="table-wrap" hidden={rows.length === 0}>
        <table class="findings">
          <caption class="sr-only">Findings</caption>
          <thead>
            <tr>
              <th scope="col">Advisory</th>
              <th scope="col">Severity</th>
              <th scope="col">Package</th>
              <th scope="col">Installed</th>
              <th scope="col">Fixed in</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((v, i) => (
              <tr key={`${v.id}-${v.package}-${i}`}>
                <th scope="row">{v.links?.[0] ? <a href={v.links[0]} rel="noreferrer noopener" target="_blank">{v.id}</a> : v.id}</th>
                <td>
                  <span class={`sev sev-${v.severity.toLowerCase()}`}>{v.severity}</span>
                </td>
                <td class="break">{v.package}</td>
                <td class="mono break">{v.version}</td>
                <td class="mono break">{v.fix_version ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
