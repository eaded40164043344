/**
 * A confirmation dialog on the native <dialog> element (focus is trapped and Escape cancels,
 * with no extra code), optionally asking for a note. Used before every state change the
 * portal makes on the quarantine flow.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ErrorBox } from './status.tsx';

export interface ConfirmProps {
  title: string;
  children?: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  /** Ask for an optional note; the callback receives it ('' when left empty). */
  withNote?: boolean;
  onConfirm: (note: string) => Promise<void>;
  onClose: () => void;
}

export function ConfirmDialog({ title, children, confirmLabel, danger, withNote, onConfirm, onClose }: ConfirmProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onConfirm(note.trim());
      ref.current?.close();
      onClose();
    } catch (err) {
      setError(err as Error);
      setBusy(false);
    }
  };
  return (
    <dialog ref={ref} class="dialog" aria-labelledby="dialog-title" onClose={onClose} onCancel={() => !busy}>
      <form onSubmit={submit}>
        <h2 id="dialog-title">{title}</h2>
        {children}
        {withNote && (
          <label class="field">
            Note (optional)
            <textarea value={note} maxLength={1000} rows={3} onInput={(e) => setNote((e.currentTarget as HTMLTextAreaElement).value)} />
          </label>
        )}
        {error && <ErrorBox error={error} what="complete this" />}
        <div class="actions">
          <button type="button" onClick={() => ref.current?.close()} disabled={busy}>
            Cancel
          </button>
          <button type="submit" class={danger ? 'danger' : 'primary'} disabled={busy} aria-busy={busy}>
            {busy ? 'Working…' : confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
