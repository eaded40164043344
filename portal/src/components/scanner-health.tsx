/** A scanner's health: the state as a badge, since when it is unreachable, why, when it was checked. */
import type { Static } from 'typebox';
import type { ScannerHealthView } from '../../../src/scan/scan-schemas.ts';
import { ago, when } from '../format.ts';

/** src/scan/scan-schemas.ts ScannerHealthView. */
type HealthFields = Static<typeof ScannerHealthView>;

export function ScannerHealth({ health }: { health: HealthFields }) {
  const { state, message, unreachableSince, checkedAt } = health;
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
