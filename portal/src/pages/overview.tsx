/**
 * Overview: counts of repositories and verdicts, the oldest held image and its wait, recent
 * verdicts from the audit log, webhook delivery health and a time-to-verdict chart. Each
 * block loads on its own, so a block the identity may not read shows a note and the rest
 * works. Counts come from the registry-wide preflight for owners and contributors, else from
 * what this identity can list through /acr/v1.
 */
import { audit, isForbidden, preflight, queue, usePolicyStatus, type AuditEntry } from '../api/management.ts';
import { allRepositories } from '../api/acr.ts';
import { listWebhookHealth } from '../api/webhooks.ts';
import { scanRegistry } from '../api/scan.ts';
import { href } from '../router.ts';
import { useAsync } from '../use-async.ts';
import { Empty, ErrorBox, Loading } from '../components/status.tsx';
import { VerdictBadge } from '../components/verdict.tsx';
import { AuditTable } from '../components/audit-table.tsx';
import { DeliveryStatus } from '../components/delivery-status.tsx';
import { TimeToVerdictChart, type VerdictTiming } from '../components/chart.tsx';
import { ago, duration, shortDigest } from '../format.ts';

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
    const at = typeof e.at === 'number' ? e.at : Date.parse(e.at);
    if (!start || !Number.isFinite(at) || at < start) continue;
    out.push({ label: e.target ?? '', ms: at - start, failed: after === 'Failed' });
  }
  return out.slice(0, 24).reverse();
}

interface Counts {
  repositories: number;
  waiting: number;
  passed: number;
  failed: number;
  partial: boolean;
  pushed: Map<string, number>;
}

async function loadCounts(policyOn: boolean): Promise<Counts> {
  const repos = await allRepositories();
  try {
    const p = await preflight(1);
    const verdicted = await queue({ states: 'Passed,Failed', max: 500 }).catch(() => []);
    return {
      repositories: repos.names.length,
      waiting: (p.counts.Quarantined ?? 0) + (policyOn ? (p.counts.absent ?? 0) : 0),
      passed: p.counts.Passed ?? 0,
      failed: p.counts.Failed ?? 0,
      partial: false,
      pushed: new Map(verdicted.map((r) => [`${r.repository}@${r.digest}`, Date.parse(r.createdTime)])),
    };
  } catch (e) {
    if (!isForbidden(e)) throw e;
  }
  const scan = await scanRegistry();
  const states = scan.manifests.map((m) => m.state);
  return {
    repositories: repos.names.length,
    waiting: states.filter((s) => s === 'Quarantined' || (policyOn && s === 'none')).length,
    passed: states.filter((s) => s === 'Passed').length,
    failed: states.filter((s) => s === 'Failed').length,
    partial: scan.unreadable > 0 || scan.truncated,
    pushed: new Map(scan.manifests.map((m) => [`${m.repository}@${m.digest}`, Date.parse(m.createdTime)])),
  };
}

const pending = <T,>() => new Promise<T>(() => undefined);

export function Overview() {
  const policy = usePolicyStatus();
  const policyOn = policy === 'enabled';
  // Both depend on the policy (no verdict counts as held only while it is on): wait for it.
  const known = policy !== null;
  const counts = useAsync(() => (known ? loadCounts(policyOn) : pending<Counts>()), [known, policyOn]);
  const oldest = useAsync(
    async () => (known ? ((await queue({ states: policyOn ? 'absent,Quarantined' : 'Quarantined', max: 1 }))[0] ?? null) : pending<null>()),
    [known, policyOn],
  );
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
      {counts.loading && !counts.data && <Loading label="Counting repositories and verdicts…" />}
      {counts.error && <ErrorBox error={counts.error} what="read the registry" retry={counts.reload} />}
      {counts.data && (
        <>
          <div class="cards">
            <Stat label="Repositories" value={counts.data.repositories} to={href.repositories()} />
            <Stat label="Held, waiting for a verdict" value={counts.data.waiting} to={href.quarantine()} />
            <Stat label="Passed" value={counts.data.passed} />
            <Stat label="Failed" value={counts.data.failed} />
          </div>
          {counts.data.partial && <p class="muted small">Counts cover only what you may read.</p>}
        </>
      )}
      <div class="card spaced">
        <h2>Oldest held image</h2>
        {oldest.loading && !oldest.data && <Loading />}
        {oldest.error && <ErrorBox error={oldest.error} what="read the queue" />}
        {oldest.data === null && <p class="muted">Nothing is waiting for a verdict{policy === 'disabled' ? '' : ' that you may see'}.</p>}
        {oldest.data && (
          <p>
            <a href={href.manifest(oldest.data.repository, oldest.data.digest)}>
              {oldest.data.repository}
              {oldest.data.tags?.length ? `:${oldest.data.tags[0]}` : `@${shortDigest(oldest.data.digest)}`}
            </a>{' '}
            <VerdictBadge state={oldest.data.quarantineState ?? 'none'} policyOn={policyOn} /> has waited{' '}
            <strong>{duration(Date.now() - Date.parse(oldest.data.createdTime))}</strong> since it was pushed.
          </p>
        )}
      </div>

      <div class="grid-2">
        <div>
          <h2>Time to verdict</h2>
          {(verdicts.loading || counts.loading) && !verdicts.data && <Loading />}
          {verdicts.error && (isForbidden(verdicts.error) ? <p class="muted">The audit log is visible to owners, contributors and readers.</p> : <ErrorBox error={verdicts.error} what="read the audit log" />)}
          {verdicts.data &&
            counts.data &&
            (() => {
              const t = timings(verdicts.data, counts.data.pushed);
              return t.length === 0 ? <Empty>No scanner verdicts yet.</Empty> : <TimeToVerdictChart data={t} />;
            })()}
        </div>
        <div>
          <h2>Webhook delivery</h2>
          {hooks.loading && !hooks.data && <Loading />}
          {hooks.error && (isForbidden(hooks.error) ? <p class="muted">Webhooks are visible to owners and contributors.</p> : <ErrorBox error={hooks.error} what="read webhooks" />)}
          {hooks.data &&
            (hooks.data.length === 0 ? (
              <Empty>
                No webhooks. <a href={href.webhooks()}>Add one</a> to tell a scanner about pushes.
              </Empty>
            ) : (
              <ul class="health">
                {hooks.data.map((h) => (
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
            ))}
        </div>
      </div>

      <h2>Recent verdicts</h2>
      {verdicts.loading && !verdicts.data && <Loading />}
      {verdicts.error && <p class="muted">Not available to you.</p>}
      {verdicts.data && (verdicts.data.length === 0 ? <Empty>No verdicts recorded yet.</Empty> : <AuditTable entries={verdicts.data.slice(0, 10)} showTarget />)}
    </section>
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
