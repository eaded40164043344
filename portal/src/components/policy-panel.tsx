/**
 * The quarantine policy switch and the backlog tools. Enabling first asks the registry for a
 * preflight ("enabling now would hold N manifests") and changes nothing until confirmed.
 * Identities that may not read the policy see a short note instead.
 */
import { useState } from 'preact/hooks';
import { canConfigure, grandfather, preflight, rescan, setPolicy, type PolicyStatus, type PreflightResult } from '../api/management.ts';
import { useAsync } from '../use-async.ts';
import { ConfirmDialog } from './confirm.tsx';
import { ErrorBox, Loading } from './status.tsx';

type Open = 'enable' | 'disable' | 'rescan' | 'grandfather' | null;

export function PolicyPanel({ status, onChanged }: { status: PolicyStatus | 'unknown' | null; onChanged: () => void }) {
  const [open, setOpen] = useState<Open>(null);
  const [message, setMessage] = useState<string | null>(null);
  const owner = useAsync(() => canConfigure(), []);
  if (status === null) return <Loading label="Reading the quarantine policy…" />;
  if (status === 'unknown') return <p class="muted">The quarantine policy could not be read.</p>;
  const on = status === 'enabled';
  return (
    <div class="card policy">
      <div class="title-row">
        <p>
          Quarantine policy:{' '}
          <span class={`badge ${on ? 'badge-on' : 'badge-off'}`} data-testid="policy-status">
            {on ? 'enabled' : 'disabled'}
          </span>{' '}
          <span class="muted">{on ? 'New pushes are held until a scanner passes them.' : 'Every push can be pulled at once.'}</span>
        </p>
        {owner.data === true && (
        <div class="verdict-actions">
          <button type="button" class={on ? 'danger' : 'primary'} onClick={() => setOpen(on ? 'disable' : 'enable')}>
            {on ? 'Disable policy…' : 'Enable policy…'}
          </button>
          <button type="button" onClick={() => setOpen('rescan')}>
            Rescan backlog…
          </button>
          <button type="button" onClick={() => setOpen('grandfather')}>
            Grandfather…
          </button>
        </div>
        )}
      </div>
      {owner.data === false && <p class="muted small">Owners and contributors can change the policy.</p>}
      {message && (
        <p role="status" class="ok">
          {message}
        </p>
      )}
      {open === 'enable' && (
        <EnableDialog
          onClose={() => setOpen(null)}
          onDone={() => {
            setMessage('The quarantine policy is now enabled.');
            onChanged();
          }}
        />
      )}
      {open === 'disable' && (
        <ConfirmDialog
          title="Disable the quarantine policy?"
          confirmLabel="Disable"
          danger
          onConfirm={async () => {
            await setPolicy('disabled');
            setMessage('The quarantine policy is now disabled.');
            onChanged();
          }}
          onClose={() => setOpen(null)}
        >
          <p>With the policy disabled, every image can be pulled at once, including those held or failed now. Verdicts are kept.</p>
        </ConfirmDialog>
      )}
      {open === 'rescan' && (
        <ConfirmDialog
          title="Rescan the backlog?"
          confirmLabel="Raise events"
          onConfirm={async () => {
            const r = await rescan();
            setMessage(`Raised quarantine events for ${r.requested} ${r.requested === 1 ? 'manifest' : 'manifests'} without a verdict.`);
          }}
          onClose={() => setOpen(null)}
        >
          <p>This raises a <code>quarantine</code> event for every manifest without a verdict, so your scanner works through the backlog. Nothing is released or held by this.</p>
        </ConfirmDialog>
      )}
      {open === 'grandfather' && (
        <ConfirmDialog
          title="Pass every manifest without a verdict?"
          confirmLabel="Mark as Passed"
          danger
          onConfirm={async () => {
            const r = await grandfather();
            setMessage(`Marked ${r.passed} ${r.passed === 1 ? 'manifest' : 'manifests'} without a verdict as Passed.`);
            onChanged();
          }}
          onClose={() => setOpen(null)}
        >
          <p>
            Every manifest that has no verdict yet becomes <strong>Passed</strong> without a scan. The audit log records it under your name. Manifests that are Quarantined or
            Failed are not touched.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function EnableDialog({ onClose, onDone }: { onClose: () => void; onDone: () => void }) {
  const check = useAsync<PreflightResult>(() => preflight(), []);
  const count = check.data?.wouldHold;
  return (
    <ConfirmDialog
      title="Enable the quarantine policy?"
      confirmLabel={count === undefined ? 'Enable' : `Enable and hold ${count}`}
      danger={!!count}
      onConfirm={async () => {
        await setPolicy('enabled');
        onDone();
      }}
      onClose={onClose}
    >
      {check.loading && <Loading label="Checking what would be held…" />}
      {check.error && <ErrorBox error={check.error} what="run the preflight check" />}
      {check.data && (
        <>
          <p data-testid="preflight-count">
            Enabling now would hold <strong>{count}</strong> {count === 1 ? 'manifest' : 'manifests'} ({check.data.counts.absent ?? 0} without a verdict,{' '}
            {check.data.counts.Quarantined ?? 0} quarantined, {check.data.counts.Failed ?? 0} failed).
          </p>
          {count ? <p>Consider “Rescan backlog” or “Grandfather” first: pulls of those images will fail until they pass.</p> : <p>Nothing existing would be held.</p>}
          {check.data.manifests.length > 0 && (
            <ul class="small">
              {check.data.manifests.slice(0, 8).map((m) => (
                <li key={`${m.repository}@${m.digest}`} class="mono break">
                  {m.repository}
                  {m.tags?.length ? `:${m.tags[0]}` : `@${m.digest.slice(0, 19)}`}
                </li>
              ))}
              {count !== undefined && count > 8 && <li>and {count - 8} more</li>}
            </ul>
          )}
        </>
      )}
    </ConfirmDialog>
  );
}
