/**
 * Overview: counts of repositories and verdicts, scanner health and the scan backlog, the
 * oldest held image and its wait, recent verdicts from the audit log, webhook delivery health
 * and a time-to-verdict chart. Each block loads on its own, so a block the identity may not
 * read shows a note and the rest works. The counts are the server's (GET /api/v1/summary: what
 * this identity may see; no held counts for one without quarantine read); the browser walks
 * no repositories.
 */
import { audit, isForbidden, queue, usePolicyStatus, type AuditEntry } from '../api/management.ts';
import { listWebhookHealth } from '../api/webhooks.ts';
import { getSummary, type Summary } from '../api/summary.ts';
import { href } from '../router.ts';
import { useAsync } from '../use-async.ts';
import { Empty, Loading } from '../components/status.tsx';
import { VerdictBadge } from '../components/verdict.tsx';
import { AuditTable } from '../components/audit-table.tsx';
import { DeliveryStatus } from '../components/delivery-status.tsx';
import { TimeToVerdictChart, type VerdictTiming } from '../components/chart.tsx';
import { ScannerHealth } from '../components/scanner-health.tsx';
import { AsyncView, noteWhen } from '../components/async-view.tsx';
import { ago, duration, shortDigest, when } from '../format.ts';

function stateIn(v: unknown): string | null {
  return v && typeof v === 'object' && 'quarantineState' in v ? String((v as { quarantineState: unknown }).quarantineState) : null;
}

/** Push-to-verdict durations of scanner verdicts (Quarantined or none -> Passed/Failed), oldest first. */
export function timings(entries: AuditEntry[], pushed: Map<string, number>): VerdictTiming[] {
  const out: VerdictTiming[] = [];
  for (const e of entries) {
    const after = stateIn(e.after);
    const before = stateIn(e.before);
    if ((after !== 'Passed' && after !== 'Failed') || (before !== null && before !== 'Quarantined')) continue;
    const start = e.target ? pushed.get(e.target) : undefined;
    const at = Date.parse(e.at);
    if (!start || !Number.isFinite(at) || at < start) continue;
    out.push({ label: e.target ?? '', ms: at - start, failed: after === 'Failed' });
  }
  return out.slice(0, 24).reverse();
}

export function Overview() {
  const policy = usePolicyStatus();
  const policyOn = policy === 'enabled';
  // The server decides what is waiting (per repository, release policies included).
  const counts = useAsync(() => getSummary(), []);
  // Push times of decided manifests, for the chart: one server page of the queue.
  const pushed = useAsync(async () => new Map((await queue({ states: 'Passed,Failed', max: 500 }).catch(() => [])).map((r) => [`${r.repository}@${r.digest}`, Date.parse(r.createdTime)])), []);
  // The oldest manifest that waits, by the server's rule (release policies included).
  const oldest = useAsync(async () => (await queue({ waiting: true, max: 1 }))[0] ?? null, []);
  const verdicts = useAsync(() => audit({ action: 'verdict.change', n: 100 }), []);
  const hooks = useAsync(() => listWebhookHealth(), []);

  return (
    <section>
      <h1>Overview</h1>
      <p>
        Quarantine policy:{' '}
        {policy === null || policy === 'unknown' ? (
          <span class="muted">{policy === null ? 'loading…' : 'unknown'}</span>
        ) : (
          <span class={`badge ${policyOn ? 'badge-on' : 'badge-off'}`}>{policyOn ? 'enabled' : 'disabled'}</span>
        )}{' '}
        <span class="muted">{policyOn ? 'New pushes are held until they pass.' : 'Pushes can be pulled at once.'}</span>
      </p>
      <AsyncView state={counts} what="read the registry" loading="Counting repositories and verdicts…">
        {(c) => <Counts summary={c} />}
      </AsyncView>
      <div class="card spaced">
        <h2>Oldest held image</h2>
        <AsyncView state={oldest} what="read the queue">
          {(o) =>
            o === null ? (
              <p class="muted">Nothing is waiting for a verdict{policy === 'disabled' ? '' : ' that you may see'}.</p>
            ) : (
              <p>
                <a href={href.manifest(o.repository, o.digest)}>
                  {o.repository}
                  {o.tags?.length ? `:${o.tags[0]}` : `@${shortDigest(o.digest)}`}
                </a>{' '}
                <VerdictBadge state={o.quarantineState ?? 'none'} policyOn={policyOn} /> has waited <strong>{duration(Date.now() - Date.parse(o.createdTime))}</strong> since it
                was pushed.
              </p>
            )
          }
        </AsyncView>
      </div>

      <div class="grid-2">
        <div>
          <h2>Time to verdict</h2>
          <AsyncView state={verdicts} what="read the audit log" onError={noteWhen(isForbidden, 'The audit log is visible to owners, contributors and readers.')}>
            {(v) => {
              if (!pushed.data) return <Loading />;
              const t = timings(v, pushed.data);
              return t.length === 0 ? <Empty>No scanner verdicts yet.</Empty> : <TimeToVerdictChart data={t} />;
            }}
          </AsyncView>
        </div>
        <div>
          <AsyncView
            heading="Webhook delivery"
            state={hooks}
            what="read webhooks"
            onError={noteWhen(isForbidden, 'Webhooks are visible to owners and contributors.')}
            empty={
              <>
                No webhooks. <a href={href.webhooks()}>Add one</a> to tell a scanner about pushes.
              </>
            }
          >
            {(rows) => (
              <ul class="health">
                {rows.map((h) => (
                  <li key={h.name}>
                    <a href={href.webhook(h.name)}>{h.name}</a> <DeliveryStatus status={h.last?.status ?? null} />{' '}
                    {h.last && <span class="muted small">{ago(h.last.createdTime)}</span>}
                    <span class="muted small">
                      {' '}
                      · {h.counts.delivered} delivered, {h.counts.pending} pending, {h.counts.failed} failed{h.enabled ? '' : ' · disabled'}
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </AsyncView>
        </div>
      </div>

      <h2>Recent verdicts</h2>
      <AsyncView state={verdicts} what="read the audit log" onError={() => <p class="muted">Not available to you.</p>} empty="No verdicts recorded yet.">
        {(v) => <AuditTable entries={v.slice(0, 10)} showTarget />}
      </AsyncView>
    </section>
  );
}

function Counts({ summary: c }: { summary: Summary }) {
  return (
    <>
      <div class="cards">
        {c.repositories !== null && <Stat label="Repositories" value={c.repositories} to={href.repositories()} />}
        {c.held ? (
          <>
            <Stat label="Held, waiting for a verdict" value={c.held.waiting} to={href.quarantine()} />
            <Stat label="Passed" value={c.held.byState.Passed} />
            <Stat label="Failed" value={c.held.byState.Failed} />
          </>
        ) : (
          <Stat label="Manifests" value={c.manifests} />
        )}
      </div>
      {c.held?.scope === 'repositories' && <p class="muted small">Verdict counts cover the repositories where you may read held content.</p>}
      {!c.held && <p class="muted small">Counts cover what you may read; held images are counted for quarantine readers.</p>}
      {c.operations && <Operations operations={c.operations} />}
    </>
  );
}

/** Scanner health, the scan backlog, the outbox and the last garbage collection (configure only). */
function Operations({ operations: o }: { operations: NonNullable<Summary['operations']> }) {
  const backlog = o.scanBacklog;
  return (
    <div class="grid-2 spaced">
      <div class="card" data-testid="scanner-health">
        <h2>Scanners</h2>
        {o.scanners.length === 0 ? (
          <Empty>
            No scanner is registered: held images wait. <a href={href.scanners()}>Scanners</a>
          </Empty>
        ) : (
          <ul class="health">
            {o.scanners.map((s) => (
              <li key={s.name}>
                <a href={href.scanners()}>{s.name}</a> <ScannerHealth health={s.health} />
                <span class="muted small">
                  {s.scanner ? `${s.scanner.name} ${s.scanner.version} · ` : ''}
                  {s.vulnerabilityDatabaseUpdatedAt ? <span title={when(s.vulnerabilityDatabaseUpdatedAt)}>database updated {ago(s.vulnerabilityDatabaseUpdatedAt)}</span> : 'no database reported'}
                  {s.enabled ? '' : ' · disabled'}
                </span>
              </li>
            ))}
          </ul>
        )}
        <p class="muted small">
          Scan backlog: {backlog.running} running, {backlog.queued} queued
          {backlog.oldestSince ? <span title={when(backlog.oldestSince)}>, oldest since {ago(backlog.oldestSince)}</span> : ''}
        </p>
      </div>
      <div class="card">
        <h2>Operations</h2>
        <p class="small">
          Webhook outbox: {o.outbox.pending} pending{o.outbox.oldestPendingAt ? ` (oldest ${ago(o.outbox.oldestPendingAt)})` : ''}, {o.outbox.deadLetters} failed
        </p>
        <p class="small">Last garbage collection: {o.lastGc ? <span title={when(o.lastGc)}>{ago(o.lastGc)}</span> : 'never'}</p>
      </div>
    </div>
  );
}

function Stat({ label, value, to }: { label: string; value: number; to?: string }) {
  const body = (
    <>
      <span class="stat">{value}</span>
      <span class="stat-label">{label}</span>
    </>
  );
  return <div class="card stat-card">{to ? <a href={to} class="plain">{body}</a> : body}</div>;
}
