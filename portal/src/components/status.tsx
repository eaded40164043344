/** Loading, error and empty states used by every page. */
import type { ComponentChildren } from 'preact';
import { ApiError } from '../api/client.ts';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div class="loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

/** Explains an error in words a person can act on, keeping the registry's code visible. */
export function ErrorBox({ error, retry, what }: { error: Error; retry?: () => void; what?: string }) {
  let hint: string | null = null;
  if (error instanceof ApiError) {
    if (error.status === 401) hint = 'Your credentials were not accepted for this. Sign in again or ask an owner for access.';
    else if (error.status === 403) hint = 'The signed-in identity is not allowed to do this.';
    else if (error.status === 404) hint = 'It does not exist, or you may not see it.';
    else if (error.status >= 500) hint = 'The registry failed; the server log has details (look for the request id).';
  } else if (error instanceof TypeError) {
    hint = 'The registry could not be reached.';
  }
  return (
    <div class="error" role="alert">
      <strong>{what ? `Could not ${what}.` : 'Something went wrong.'}</strong>
      <p>{error.message}</p>
      {error instanceof ApiError && error.warning && <p class="hint">{error.warning.replace(/^299 - "?|"$/g, '')}</p>}
      {hint && <p class="hint">{hint}</p>}
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

/** A subtle progress bar shown while a page refreshes data it already shows. */
export function Refreshing({ active }: { active: boolean }) {
  return active ? <div class="refreshing" role="progressbar" aria-label="Refreshing" /> : null;
}
