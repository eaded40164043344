/**
 * Wakes the dispatcher right after a transaction that queued events COMMITS (not before: a
 * dispatcher claiming during the transaction would not see the rows yet on PostgreSQL, and
 * must not see them at all if the change rolls back).
 *
 * `store.transaction` is wrapped: each transaction runs with an AsyncLocalStorage flag that
 * `markQueued()` (called by the events lifecycle when it wrote an event) sets; when the
 * transaction resolves with the flag set, `wake()` runs. The wrapper inherits every role
 * object and method from the real store.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { MetadataStore } from '../metadata/metadata-store.ts';

export interface CommitWake {
  store: MetadataStore;
  /** Marks the current transaction as having queued events. Outside a transaction: wakes at once. */
  markQueued(): void;
}

export function wakeAfterCommit(store: MetadataStore, wake: () => void): CommitWake {
  const flags = new AsyncLocalStorage<{ queued: boolean }>();
  const wrapped = Object.create(store) as MetadataStore;
  wrapped.transaction = async (fn) => {
    const flag = { queued: false };
    const result = await flags.run(flag, () => store.transaction(fn));
    if (flag.queued) wake();
    return result;
  };
  return {
    store: wrapped,
    markQueued() {
      const flag = flags.getStore();
      if (flag) flag.queued = true;
      else wake();
    },
  };
}
