/**
 * Repositories: every repository the identity may list (the catalog is filtered by the
 * registry), searchable and paged here, with each visible row's counts and last update.
 */
import { useMemo, useState } from 'preact/hooks';
import { allRepositories, getRepository, type RepositoryAttributes } from '../api/acr.ts';
import { href, navigate } from '../router.ts';
import { useAsync } from '../use-async.ts';
import { Empty } from '../components/status.tsx';
import { AsyncView } from '../components/async-view.tsx';
import { DataTable, type Column } from '../components/data-table.tsx';
import { ago } from '../format.ts';

const PAGE = 25;

/** A row's counts while its details load ("…"), once they failed ("—"), and once they came. */
function columns(details: Map<string, RepositoryAttributes | Error> | undefined): Column<string>[] {
  const attrs = (n: string) => {
    const d = details?.get(n);
    return { d, a: d && !(d instanceof Error) ? d : null };
  };
  const shown = (n: string, value: (a: RepositoryAttributes) => string | number) => {
    const { d, a } = attrs(n);
    return a ? value(a) : d ? '—' : '…';
  };
  return [
    { header: 'Name', cell: (n) => <a href={href.repository(n)}>{n}</a> },
    { header: 'Tags', class: 'num', cell: (n) => shown(n, (a) => a.tagCount) },
    { header: 'Manifests', class: 'num', cell: (n) => shown(n, (a) => a.manifestCount) },
    { header: 'Last update', cell: (n) => shown(n, (a) => ago(a.lastUpdateTime)) },
  ];
}

export function Repositories() {
  const initial = new URLSearchParams(location.search);
  const [query, setQuery] = useState(initial.get('q') ?? '');
  const [page, setPage] = useState(Math.max(0, Number(initial.get('page') ?? '1') - 1) || 0);
  const catalog = useAsync(() => allRepositories(), []);

  const filtered = useMemo(() => {
    const q = query.trim().toLowerCase();
    return (catalog.data?.names ?? []).filter((n) => !q || n.toLowerCase().includes(q));
  }, [catalog.data, query]);
  const pages = Math.max(1, Math.ceil(filtered.length / PAGE));
  const current = Math.min(page, pages - 1);
  const visible = filtered.slice(current * PAGE, current * PAGE + PAGE);
  const details = useAsync(
    async () => {
      const out = new Map<string, RepositoryAttributes | Error>();
      await Promise.all(visible.map(async (n) => out.set(n, await getRepository(n).catch((e: Error) => e))));
      return out;
    },
    [visible.join('\n')],
  );

  const update = (q: string, p: number) => {
    setQuery(q);
    setPage(p);
    const params = new URLSearchParams();
    if (q) params.set('q', q);
    if (p > 0) params.set('page', String(p + 1));
    navigate(`${href.repositories()}${params.size ? `?${params}` : ''}`, { replace: true });
  };

  return (
    <section>
      <h1>Repositories</h1>
      <form class="toolbar" role="search" onSubmit={(e) => e.preventDefault()}>
        <label class="field inline">
          Search
          <input type="search" value={query} placeholder="name contains…" onInput={(e) => update((e.currentTarget as HTMLInputElement).value, 0)} />
        </label>
        <button type="button" onClick={catalog.reload}>
          Refresh
        </button>
      </form>
      <AsyncView state={catalog} what="list repositories" loading="Loading repositories…">
        {(data) => (
          <>
            {data.truncated && <p class="muted">Showing the first {data.names.length} repositories.</p>}
            {filtered.length === 0 ? (
              <Empty>{query ? `No repository matches “${query}”.` : 'No repositories yet, or none you may see. Push an image to get started.'}</Empty>
            ) : (
              <DataTable caption="Repositories" columns={columns(details.data)} rows={visible} rowKey={(n) => n} />
            )}
            {pages > 1 && (
              <nav class="pager" aria-label="Pages">
                <button type="button" disabled={current === 0} onClick={() => update(query, current - 1)}>
                  Previous
                </button>
                <span>
                  Page {current + 1} of {pages} ({filtered.length} repositories)
                </span>
                <button type="button" disabled={current >= pages - 1} onClick={() => update(query, current + 1)}>
                  Next
                </button>
              </nav>
            )}
          </>
        )}
      </AsyncView>
    </section>
  );
}
