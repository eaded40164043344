/**
 * Storage: garbage collection (settings, the run in progress, the recent runs with what each
 * freed) and the retention rules with a dry-run preview of what they would delete now. Runs and
 * rule changes are the CLI's and the API's (`lazaret gc run`, `lazaret retention set`,
 * docs/storage-lifecycle.md); the page shows the commands. GC status needs `metrics` (Owner),
 * the rules and the preview `configure` (Owner, Contributor); each part says so on its own.
 */
import { useState } from 'preact/hooks';
import { isForbidden } from '../api/management.ts';
import { getGcStatus, getQuotas, getRetention, previewRetention, type QuotaUsage, type GcRun, type RetentionDeletion, type RetentionPolicy, type TagRule } from '../api/storage.ts';
import { useAsync } from '../use-async.ts';
import { AsyncView, noteWhen } from '../components/async-view.tsx';
import { DataTable, type Column } from '../components/data-table.tsx';
import { ago, bytes, duration, shortDigest, when } from '../format.ts';

const RUN_COLUMNS: Column<GcRun>[] = [
  { header: 'Started', cell: (r) => ago(r.startedAt), title: (r) => when(r.startedAt) },
  { header: 'Kind', cell: (r) => (r.dryRun ? 'dry run' : 'collection') },
  { header: 'Status', cell: (r) => <span class={`badge ${r.status === 'failed' ? 'badge-off' : 'badge-on'}`}>{r.status === 'running' ? `running: ${r.summary?.phase ?? 'starting'}` : r.status}</span> },
  { header: 'Freed', cell: (r) => (r.summary ? `${r.summary.blobsDeleted} blob${r.summary.blobsDeleted === 1 ? '' : 's'}, ${bytes(r.summary.bytesFreed)}${r.dryRun ? ' (would be)' : ''}` : r.error ?? '—') },
  { header: 'Retention', cell: (r) => (r.summary?.manifestsDeleted ? `${r.summary.manifestsDeleted} deleted first` : '—'), narrow: true },
  { header: 'Grace period', cell: (r) => r.gracePeriod, narrow: true },
  { header: 'Duration', cell: (r) => (r.summary ? duration(r.summary.durationMs) : '—'), narrow: true },
];

const describeTagRule = (r: TagRule) =>
  [
    r.keepLast !== undefined ? `keep the newest ${r.keepLast}` : '',
    r.keepTags?.length ? `keep ${r.keepTags.join(', ')}` : '',
    r.keepPulledWithinDays !== undefined ? `keep those pulled within ${r.keepPulledWithinDays} days` : '',
    r.olderThanDays !== undefined ? `delete the rest once older than ${r.olderThanDays} days` : 'delete the rest',
  ]
    .filter(Boolean)
    .join('; ');

interface RuleRow {
  kind: 'tags' | 'untagged manifests';
  repositories: string;
  rule: string;
}
const rulesOf = (p: RetentionPolicy): RuleRow[] => [
  ...p.tags.map((r) => ({ kind: 'tags' as const, repositories: r.repositories, rule: describeTagRule(r) })),
  ...p.untagged.map((r) => ({ kind: 'untagged manifests' as const, repositories: r.repositories, rule: `delete after ${r.days} days without an update` })),
];
const RULE_COLUMNS: Column<RuleRow>[] = [
  { header: 'Repositories', cell: (r) => <span class="mono">{r.repositories}</span> },
  { header: 'For', cell: (r) => r.kind },
  { header: 'Rule', cell: (r) => r.rule },
];

const REASONS: Record<RetentionDeletion['reason'], string> = {
  age: 'older than the rule allows',
  count: 'beyond the newest kept',
  untagged: 'untagged too long',
  'tags-deleted': 'its last tag goes',
  referrer: 'its subject goes',
};
const PREVIEW_COLUMNS: Column<RetentionDeletion>[] = [
  { header: 'Would delete', cell: (d) => <span class="mono break">{d.kind === 'tag' ? `${d.repository}:${d.tag}` : `${d.repository}@${shortDigest(d.digest)}`}</span> },
  { header: 'Why', cell: (d) => REASONS[d.reason] },
  { header: 'Rule', cell: (d) => <span class="mono">{d.rule}</span>, narrow: true },
  { header: 'Pushed', cell: (d) => ago(d.updatedAt), title: (d) => when(d.updatedAt), narrow: true },
  { header: 'Last pulled', cell: (d) => (d.kind === 'tag' ? (d.lastPulledAt ? ago(d.lastPulledAt) : 'never') : '—'), title: (d) => (d.lastPulledAt ? when(d.lastPulledAt) : undefined), narrow: true },
];

function GcSection() {
  const gc = useAsync(() => getGcStatus(), []);
  return (
    <AsyncView state={gc} what="read the garbage collection status" loading="Loading garbage collection…" onError={noteWhen(isForbidden, 'Garbage collection status is shown to registry owners.')}>
      {(s) => (
        <>
          <p class="muted">
            Deleted content is kept {s.settings.gracePeriod}; {s.settings.interval ? `a collection runs every ${s.settings.interval}` : 'collections run only on demand'}. Collect now with{' '}
            <code>lazaret gc run</code> (<code>--dry-run</code> to see what it would free).
          </p>
          {s.runs.length === 0 ? <p class="muted">No collection has run yet.</p> : <DataTable caption="Garbage collection runs" columns={RUN_COLUMNS} rows={s.runs} rowKey={(r) => r.id} />}
        </>
      )}
    </AsyncView>
  );
}

function RetentionSection() {
  const policy = useAsync(() => getRetention(), []);
  const [asked, setAsked] = useState(0);
  const preview = useAsync(() => (asked === 0 ? Promise.resolve(undefined) : previewRetention()), [asked]);
  return (
    <>
      <AsyncView
        state={policy}
        onError={noteWhen(isForbidden, 'Retention rules are managed by registry owners and contributors; the signed-in identity may not see them.')}
        what="read the retention rules"
        loading="Loading retention rules…"
        isEmpty={(p) => p.tags.length === 0 && p.untagged.length === 0}
        empty="No retention rules: retention deletes nothing. Set some with `lazaret retention set --tags 'ci/*:keep-last=10,older-than=30'`."
      >
        {(p) => (
          <>
            <DataTable caption="Retention rules" columns={RULE_COLUMNS} rows={rulesOf(p)} rowKey={(r) => `${r.kind} ${r.repositories}`} />
            <div class="verdict-actions">
              <button type="button" onClick={() => setAsked((n) => n + 1)}>
                Preview what the rules would delete
              </button>
            </div>
          </>
        )}
      </AsyncView>
      {asked > 0 && (
        <AsyncView state={preview} what="preview the retention rules" loading="Evaluating the rules…" isEmpty={(d) => d !== undefined && d.length === 0} empty="The rules would delete nothing now.">
          {(d) =>
            d && (
              <>
                <p class="muted" role="status">
                  A dry run: nothing was deleted. {d.length} deletion{d.length === 1 ? '' : 's'}; <code>lazaret retention run</code> carries them out.
                </p>
                <DataTable caption="What the retention rules would delete" columns={PREVIEW_COLUMNS} rows={d} rowKey={(x) => `${x.kind} ${x.repository} ${x.tag ?? x.digest}`} />
              </>
            )
          }
        </AsyncView>
      )}
    </>
  );
}

const QUOTA_COLUMNS: Column<QuotaUsage>[] = [
  { header: 'Repository', cell: (u) => <span class="mono">{u.repository}</span> },
  { header: 'Quota', cell: (u) => <span class="mono">{u.quota}</span>, narrow: true },
  { header: 'Used', cell: (u) => `${bytes(u.used)} of ${bytes(u.limit)}` },
  { header: 'Share', cell: (u) => (u.limit === 0 ? '—' : `${((u.used / u.limit) * 100).toFixed(1)}%`), narrow: true },
];

function QuotaSection() {
  const quotas = useAsync(() => getQuotas(), []);
  return (
    <AsyncView
      state={quotas}
      what="read the quotas"
      loading="Loading quotas…"
      onError={noteWhen(isForbidden, 'Quotas are managed by registry owners and contributors; the signed-in identity may not see them.')}
      isEmpty={(q) => q.quotas.length === 0}
      empty="No quotas: repositories may grow without limit. Set one with `lazaret quota set 'ci/*' 20GiB`."
    >
      {(q) => (q.usage.length === 0 ? <p class="muted">No repository falls under a quota yet.</p> : <DataTable caption="Quota usage" columns={QUOTA_COLUMNS} rows={q.usage} rowKey={(u) => u.repository} />)}
    </AsyncView>
  );
}

export function Storage() {
  return (
    <section>
      <h1>Storage</h1>
      <h2>Garbage collection</h2>
      <GcSection />
      <h2>Retention</h2>
      <RetentionSection />
      <h2>Quotas</h2>
      <QuotaSection />
    </section>
  );
}
