/**
 * Pass / Fail / Re-hold buttons for one manifest, each behind a confirmation with an optional
 * note. Shown only when the identity's token for the repository carries quarantine_write
 * (the registry still checks the PATCH itself).
 */
import { useState } from 'preact/hooks';
import { setVerdict, type QuarantineState } from '../api/acr.ts';
import { shortDigest } from '../format.ts';
import { ConfirmDialog } from './confirm.tsx';

const ACTIONS: { state: QuarantineState; label: string; verb: string; danger?: boolean }[] = [
  { state: 'Passed', label: 'Pass', verb: 'release it: pulls will be served and deferred push events sent' },
  { state: 'Failed', label: 'Fail', verb: 'keep it held for good (until someone changes the verdict)', danger: true },
  { state: 'Quarantined', label: 'Re-hold', verb: 'put it back on hold: pulls are refused until it passes again', danger: true },
];

export function VerdictActions({ name, digest, current, onChanged }: { name: string; digest: string; current: string; onChanged: () => void }) {
  const [open, setOpen] = useState<(typeof ACTIONS)[number] | null>(null);
  return (
    <div class="verdict-actions" role="group" aria-label={`Verdict for ${shortDigest(digest)}`}>
      {ACTIONS.filter((a) => a.state !== current && !(a.state === 'Quarantined' && (current === 'none' || current === 'Quarantined'))).map((a) => (
        <button key={a.state} type="button" class={a.danger ? 'danger' : 'primary'} onClick={() => setOpen(a)}>
          {a.label}
        </button>
      ))}
      {open && (
        <ConfirmDialog
          title={`${open.label} ${name}@${shortDigest(digest)}?`}
          confirmLabel={open.label}
          danger={open.danger}
          withNote
          onConfirm={async (note) => {
            await setVerdict(name, digest, open.state, undefined, note || undefined);
            onChanged();
          }}
          onClose={() => setOpen(null)}
        >
          <p>
            This sets the verdict to <strong>{open.state}</strong>: {open.verb}. The change is recorded in the audit log under your name.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
