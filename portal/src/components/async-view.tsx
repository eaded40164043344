/**
 * AsyncView: the loading / error / empty / data states of one useAsync load, in the order every
 * page shows them (a refresh keeps the data on screen under a progress bar). Pages pass what
 * to render with the data (and, for a titled block, its heading); the boilerplate around it
 * lives here once.
 */
import type { ComponentChildren } from 'preact';
import type { AsyncState } from '../use-async.ts';
import { Empty, ErrorBox, Loading, Refreshing } from './status.tsx';

export function AsyncView<T>({
  heading,
  state,
  what,
  loading,
  empty,
  isEmpty = (data) => Array.isArray(data) && data.length === 0,
  onError,
  children,
}: {
  /** The block's title, shown above every state (an h2). */
  heading?: ComponentChildren;
  state: AsyncState<T>;
  /** "list webhooks": the error box says "Could not list webhooks." */
  what: string;
  /** The loading label ("Loading webhooks…"). */
  loading?: string;
  /** Shown instead of `children` when the data is empty. */
  empty?: ComponentChildren;
  isEmpty?: (data: T) => boolean;
  /**
   * Renders the error instead of the standard box (with its "Try again"): a note for a
   * forbidden block, or null where another block already explains the failure. Returning
   * undefined keeps the standard box.
   */
  onError?: (error: Error) => ComponentChildren;
  children: (data: T) => ComponentChildren;
}) {
  const custom = state.error && onError ? onError(state.error) : undefined;
  return (
    <>
      {heading !== undefined && <h2>{heading}</h2>}
      <Refreshing active={state.loading && state.data !== undefined} />
      {state.loading && state.data === undefined && <Loading label={loading} />}
      {state.error && (custom !== undefined ? custom : <ErrorBox error={state.error} what={what} retry={state.reload} />)}
      {state.data !== undefined && (empty !== undefined && isEmpty(state.data) ? <Empty>{empty}</Empty> : children(state.data))}
    </>
  );
}

/** An `onError` for a block not every identity may read: a note when `hides(error)`, else the standard box. */
export function noteWhen(hides: (error: Error) => boolean, note: ComponentChildren) {
  return (error: Error) => (hides(error) ? <p class="muted">{note}</p> : undefined);
}
