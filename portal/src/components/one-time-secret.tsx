/** A generated secret shown once, with a copy button and a dismiss button. */
import { CopyField } from './copy.tsx';

export function OneTimeSecret({ label, value, onDismiss }: { label: string; value: string; onDismiss: () => void }) {
  return (
    <div class="notice" role="status">
      <p>
        <strong>Copy it now:</strong> the registry keeps only a hash and will not show it again.
      </p>
      <CopyField label={label} value={value} />
      <button type="button" onClick={onDismiss}>
        Done
      </button>
    </div>
  );
}
