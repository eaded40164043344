/**
 * The quarantine queue: everything waiting for a verdict (and, by filter, failed ones),
 * oldest first, with Pass / Fail / Re-hold for quarantine writers; the policy switch with
 * its preflight count, and the backlog tools (rescan, grandfather) for owners.
 */
import { useMemo, useState } from 'preact/hooks';
import { writeScope } from '../api/acr.ts';
import { grantedActions } from '../api/client.ts';
import { loadQueue, type QueueRow } from '../api/queue.ts';
import { usePolicyStatus } from '../api/management.ts';
import { href } from '../router.ts';
import { useAsync } from '../use-async.ts';
import { Empty, ErrorBox, Loading, Refreshing } from '../components/status.tsx';
import { VerdictBadge } from '../components/verdict.tsx';
import { VerdictActions } from '../components/verdict-actions.tsx';
import { PolicyPanel } from '../components/policy-panel.tsx';
import { ago, duration, shortDigest, when } from '../format.ts';

type Filter = 'waiting' | 'failed' | 'all';

export function Quarantine() {
  const [policyVersion, setPolicyVersion] = useState(0);
  const policy = usePolicyStatus(policyVersion);
  const policyOn = policy === 'enabled';
  // Whether "no verdict" counts as held depends on the policy: wait until it is known.
  const rows = useAsync(() => (policy === null ? new Promise<Awaited<ReturnType<typeof loadQueue>>>(() => undefined) : loadQueue(policyOn)), [policy, policyVersion]);
  const [filter, setFilter] = useState<Filter>('waiting');
  const [repo, setRepo] = useState('');

  const repositories = useMemo(() => [...new Set((rows.data?.rows ?? []).map((r) => r.repository))].sort(), [rows.data]);
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

  const visible = (rows.data?.rows ?? [])
    .filter((r) => (filter === 'waiting' ? r.waiting : filter === 'failed' ? r.state === 'Failed' : r.waiting || r.state === 'Failed'))
    .filter((r) => !repo || r.repository.toLowerCase().includes(repo.trim().toLowerCase()))
    .sort((a, b) => a.since - b.since);

  return (
    <section>
      <div class="title-row">
        <h1>Quarantine queue</h1>
        <button type="button" onClick={rows.reload}>
          Refresh
        </button>
      </div>
      <PolicyPanel status={policy} onChanged={() => setPolicyVersion((v) => v + 1)} />

      <h2>Held images</h2>
      <form class="toolbar" role="search" aria-label="Filter the queue" onSubmit={(e) => e.preventDefault()}>
        <label class="field inline">
          Show
          <select value={filter} onChange={(e) => setFilter((e.currentTarget as HTMLSelectElement).value as Filter)}>
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
      <Refreshing active={rows.loading && !!rows.data} />
      {rows.loading && !rows.data && <Loading label="Loading the queue…" />}
      {rows.error && <ErrorBox error={rows.error} what="load the queue" retry={rows.reload} />}
      {rows.data?.partial && <p class="muted">Some repositories could not be read with your permissions; they are left out.</p>}
      {rows.data &&
        (visible.length === 0 ? (
          <Empty>
            {rows.data.rows.length === 0
              ? 'Nothing is held that you may see. A quarantine reader sees every held image here.'
              : 'Nothing matches this filter.'}
          </Empty>
        ) : (
          <div class="table-wrap">
            <table>
              <caption class="sr-only">Held images, oldest first</caption>
              <thead>
                <tr>
                  <th scope="col">Image</th>
                  <th scope="col">Verdict</th>
                  <th scope="col">Waiting</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {visible.map((r) => (
                  <tr key={`${r.repository}@${r.digest}`}>
                    <th scope="row">
                      <a href={href.manifest(r.repository, r.digest)} class="break">
                        {r.repository}
                        {r.tags.length ? `:${r.tags.join(', :')}` : ''}
                      </a>
                      <div class="mono muted small">{shortDigest(r.digest)}</div>
                    </th>
                    <td>
                      <VerdictBadge state={r.state} policyOn={policyOn} />
                      {r.scanStatus && <div class="muted small scan-status">{r.scanStatus}</div>}
                    </td>
                    <td title={`pushed ${when(r.since)}`}>{r.since ? duration(Date.now() - r.since) : ago(null)}</td>
                    <td>
                      {writable.data?.has(r.repository) ? (
                        <VerdictActions name={r.repository} digest={r.digest} current={r.state} onChanged={rows.reload} />
                      ) : (
                        <span class="muted small">{writable.loading ? '…' : 'read only'}</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}

    </section>
  );
}

export type { QueueRow };
