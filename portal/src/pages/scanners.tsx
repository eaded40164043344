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
import { Empty, ErrorBox, Loading, Refreshing } from '../components/status.tsx';
import { ago, when } from '../format.ts';

function Health({ s }: { s: Scanner }) {
  const { state, message, unreachableSince, checkedAt } = s.health;
  const cls = state === 'healthy' ? 'badge-passed' : state === 'unknown' ? 'badge-none' : 'badge-failed';
  return (
    <>
      <span class={`badge ${cls}`}>{state}</span>
      {state === 'unreachable' && unreachableSince && <span title={when(unreachableSince)}> since {ago(unreachableSince)}</span>}
      {message && state !== 'healthy' && <div class="muted break">{message}</div>}
      {checkedAt && <div class="muted" title={when(checkedAt)}>checked {ago(checkedAt)}</div>}
    </>
  );
}

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
      <Refreshing active={scanners.loading && Boolean(scanners.data)} />
      <p class="muted">
        With the quarantine policy on, every held image is sent to the scanner that covers its repository; its report decides the verdict. Add one with{' '}
        <code>lazaret scanner add NAME --url URL</code>.
      </p>
      {scanners.loading && !scanners.data && <Loading label="Loading scanners…" />}
      {scanners.error && <ErrorBox error={scanners.error} what="list the scanners" retry={scanners.reload} />}
      {scanners.data &&
        (scanners.data.length === 0 ? (
          <Empty>No scanner is registered: held images wait. `lazaret serve` registers its built-in scanner unless scanner.builtin is off.</Empty>
        ) : (
          <div class="table-wrap">
            <table>
              <caption class="sr-only">Registered scanners</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Health</th>
                  <th scope="col">Scanner</th>
                  <th scope="col">Covers</th>
                  <th scope="col">Database</th>
                  <th scope="col">URL</th>
                </tr>
              </thead>
              <tbody>
                {scanners.data.map((s) => (
                  <tr key={s.name}>
                    <th scope="row">
                      {s.name}
                      {s.default && <span class="badge badge-on scanner-default">default</span>}
                      {!s.enabled && <span class="badge badge-off">disabled</span>}
                    </th>
                    <td>
                      <Health s={s} />
                    </td>
                    <td>{s.scanner ? `${s.scanner.name} ${s.scanner.version}` : '—'}</td>
                    <td class="mono">{s.default ? 'every repository no other scanner covers' : s.patterns.join(', ')}</td>
                    <td title={when(s.vulnerabilityDatabaseUpdatedAt)}>{s.vulnerabilityDatabaseUpdatedAt ? `updated ${ago(s.vulnerabilityDatabaseUpdatedAt)}` : 'none reported'}</td>
                    <td class="mono break">{s.url}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
    </section>
  );
}
