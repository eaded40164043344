/**
 * The quarantine queue: everything waiting for a verdict (and, by filter, failed ones),
 * oldest first, with Pass / Fail / Re-hold for quarantine writers; the policy switch with
 * its preflight count, and the backlog tools (rescan, grandfather) for owners.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { writeScope } from '../api/acr.ts';
import { grantedActions } from '../api/client.ts';
import { queuePage, type QueueFilter, type QueueRow } from '../api/queue.ts';
import { usePolicyStatus } from '../api/management.ts';
import { href } from '../router.ts';
import { useAsync } from '../use-async.ts';
import { AsyncView } from '../components/async-view.tsx';
import { DataTable, type Column } from '../components/data-table.tsx';
import { VerdictBadge } from '../components/verdict.tsx';
import { VerdictActions } from '../components/verdict-actions.tsx';
import { PolicyPanel } from '../components/policy-panel.tsx';
import { ago, duration, shortDigest, when } from '../format.ts';

const sinceOf = (r: QueueRow) => Date.parse(r.createdTime);

/** The name filter, applied 300 ms after the last keystroke (one server request, not one per key). */
function useSettled(value: string, ms = 300): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}

export function Quarantine() {
  const [policyVersion, setPolicyVersion] = useState(0);
  const policy = usePolicyStatus(policyVersion);
  const policyOn = policy === 'enabled';
  const [filter, setFilter] = useState<QueueFilter>('waiting');
  const [repo, setRepo] = useState('');
  const contains = useSettled(repo);
  // What waits is the server's to say (the switch, release policies): a policy change reloads.
  const first = useAsync(() => queuePage({ filter, contains }), [policyVersion, filter, contains]);
  // Further pages ("Show more"), appended after the first; a new first page starts over.
  const [more, setMore] = useState<{ rows: QueueRow[]; next?: string; loading: boolean; error: Error | null }>({ rows: [], loading: false, error: null });
  useEffect(() => setMore({ rows: [], loading: false, error: null }), [first.data]);
  const next = more.rows.length > 0 || more.error ? more.next : first.data?.next;
  const loadMore = () => {
    if (!next) return;
    setMore((m) => ({ ...m, loading: true, error: null }));
    queuePage({ filter, contains, last: next }).then(
      (page) => setMore((m) => ({ rows: [...m.rows, ...page.manifests], ...(page.next ? { next: page.next } : {}), loading: false, error: null })),
      (error: Error) => setMore((m) => ({ ...m, next, loading: false, error })),
    );
  };
  const rows = useMemo(() => [...(first.data?.manifests ?? []), ...more.rows], [first.data, more.rows]);

  const repositories = useMemo(() => [...new Set(rows.map((r) => r.repository))].sort(), [rows]);
  const writable = useAsync(
    async () => {
      const out = new Set<string>();
      await Promise.all(
        repositories.map(async (name) => {
          const granted = await grantedActions(writeScope(name), 'repository', name).catch(() => new Set<string>());
          if (granted.has('quarantine_write')) out.add(name);
        }),
      );
      return out;
    },
    [repositories.join('\n')],
  );
  const reload = () => first.reload();

  const columns: Column<QueueRow>[] = [
    {
      header: 'Image',
      cell: (r) => (
        <>
          <a href={href.manifest(r.repository, r.digest)} class="break">
            {r.repository}
            {r.tags?.length ? `:${r.tags.join(', :')}` : ''}
          </a>
          <div class="mono muted small">{shortDigest(r.digest)}</div>
        </>
      ),
    },
    {
      header: 'Verdict',
      cell: (r) => (
        <>
          <VerdictBadge state={r.quarantineState ?? 'none'} policyOn={policyOn} />
          {r.scan?.status && <div class="muted small scan-status">{r.scan.status}</div>}
        </>
      ),
    },
    { header: 'Waiting', cell: (r) => <span title={`pushed ${when(sinceOf(r))}`}>{sinceOf(r) ? duration(Date.now() - sinceOf(r)) : ago(null)}</span> },
    {
      header: 'Actions',
      cell: (r) =>
        writable.data?.has(r.repository) ? (
          <VerdictActions name={r.repository} digest={r.digest} current={r.quarantineState ?? 'none'} onChanged={reload} />
        ) : (
          <span class="muted small">{writable.loading ? '…' : 'read only'}</span>
        ),
    },
  ];

  return (
    <section>
      <div class="title-row">
        <h1>Quarantine queue</h1>
        <button type="button" onClick={reload}>
          Refresh
        </button>
      </div>
      <PolicyPanel status={policy} onChanged={() => setPolicyVersion((v) => v + 1)} />

      <h2>Held images</h2>
      <form class="toolbar" role="search" aria-label="Filter the queue" onSubmit={(e) => e.preventDefault()}>
        <label class="field inline">
          Show
          <select value={filter} onChange={(e) => setFilter((e.currentTarget as HTMLSelectElement).value as QueueFilter)}>
            <option value="waiting">Waiting for a verdict</option>
            <option value="failed">Failed</option>
            <option value="all">Waiting and failed</option>
          </select>
        </label>
        <label class="field inline">
          Repository
          <input type="search" value={repo} placeholder="name contains…" onInput={(e) => setRepo((e.currentTarget as HTMLInputElement).value)} />
        </label>
      </form>
      <AsyncView
        state={first}
        what="load the queue"
        loading="Loading the queue…"
        isEmpty={(page) => page.manifests.length === 0}
        empty={filter === 'waiting' && !contains.trim() ? 'Nothing is held that you may see. A quarantine reader sees every held image here.' : 'Nothing matches this filter.'}
      >
        {() => (
          <>
            <DataTable caption="Held images, oldest first" columns={columns} rows={rows} rowKey={(r) => `${r.repository}@${r.digest}`} />
            {more.error && <p class="error" role="alert">Could not load more: {more.error.message}</p>}
            {next && (
              <p>
                <button type="button" onClick={loadMore} disabled={more.loading}>
                  {more.loading ? 'Loading…' : 'Show more'}
                </button>
              </p>
            )}
          </>
        )}
      </AsyncView>
    </section>
  );
}

export type { QueueRow };
