/**
 * Scanners: the registered Harbor-API scanners with their health (healthy; unreachable since
 * when; invalid with the reason), what they are (name, version), which repositories they cover,
 * the default one, and how fresh their vulnerability database is. Registration and removal are
 * the CLI's and the API's (`lazaret scanner add|remove`, docs/scanning.md); the page shows the
 * commands. Needs `configure` (Owner, Contributor).
 */
import { isForbidden } from '../api/management.ts';
import { listScanners, type Scanner } from '../api/scanning.ts';
import { useAsync } from '../use-async.ts';
import { AsyncView } from '../components/async-view.tsx';
import { DataTable, type Column } from '../components/data-table.tsx';
import { ScannerHealth } from '../components/scanner-health.tsx';
import { ago, when } from '../format.ts';

const COLUMNS: Column<Scanner>[] = [
  {
    header: 'Name',
    cell: (s) => (
      <>
        {s.name}
        {s.default && <span class="badge badge-on scanner-default">default</span>}
        {!s.enabled && <span class="badge badge-off">disabled</span>}
      </>
    ),
  },
  { header: 'Health', cell: (s) => <ScannerHealth health={s.health} /> },
  { header: 'Scanner', cell: (s) => (s.scanner ? `${s.scanner.name} ${s.scanner.version}` : '—') },
  { header: 'Covers', cell: (s) => <span class="mono">{s.default ? 'every repository no other scanner covers' : s.patterns.join(', ')}</span> },
  {
    header: 'Database',
    cell: (s) => <span title={when(s.vulnerabilityDatabaseUpdatedAt)}>{s.vulnerabilityDatabaseUpdatedAt ? `updated ${ago(s.vulnerabilityDatabaseUpdatedAt)}` : 'none reported'}</span>,
  },
  { header: 'URL', cell: (s) => <span class="mono break">{s.url}</span> },
];

export function Scanners() {
  const scanners = useAsync(() => listScanners(), []);
  if (scanners.error && isForbidden(scanners.error)) {
    return (
      <section>
        <h1>Scanners</h1>
        <p class="notice">Scanners are managed by registry owners and contributors; the signed-in identity may not see them.</p>
      </section>
    );
  }
  return (
    <section>
      <div class="title-row">
        <h1>Scanners</h1>
        <div class="verdict-actions">
          <button type="button" onClick={scanners.reload}>
            Refresh
          </button>
        </div>
      </div>
      <p class="muted">
        With the quarantine policy on, every held image is sent to the scanner that covers its repository; its report decides the verdict. Add one with{' '}
        <code>lazaret scanner add NAME --url URL</code>.
      </p>
      <AsyncView
        state={scanners}
        what="list the scanners"
        loading="Loading scanners…"
        empty="No scanner is registered: held images wait. `lazaret serve` registers its built-in scanner unless scanner.builtin is off."
      >
        {(rows) => <DataTable caption="Registered scanners" columns={COLUMNS} rows={rows} rowKey={(s) => s.name} />}
      </AsyncView>
    </section>
  );
}
