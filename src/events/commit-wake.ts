/**
 * Wakes the dispatcher right after a transaction that queued events COMMITS (not before: a
 * dispatcher claiming during the transaction would not see the rows yet on PostgreSQL, and
 * must not see them at all if the change rolls back).
 *
 * `store.transaction` is wrapped: each transaction's role objects (the `tx` handed to `fn`,
 * which the lifecycle receives) are mapped to a flag that `markQueued(tx)` (called by the
 * events lifecycle when it wrote an event) sets; when the transaction resolves with the flag
 * set, `wake()` runs. The wrapper inherits every role object and method from the real store.
 *
 * Decision: the flag is found through the `tx` object (a WeakMap), not an AsyncLocalStorage,
 * because on Node 20 one AsyncLocalStorage turns on promise hooks for every promise of the
 * process (bench/README.md: 2-7% of the CPU of reads that never open a transaction).
 */
import type { CoreRoles, TransactionalStore } from '../metadata/metadata-store.ts';

export interface CommitWake<R extends CoreRoles> {
  store: TransactionalStore<R>;
  /**
   * Marks the transaction whose roles are `tx` as having queued events. For roles of no
   * wrapped transaction (the top-level store): wakes at once.
   */
  markQueued(tx: object): void;
}

export function wakeAfterCommit<R extends CoreRoles>(store: TransactionalStore<R>, wake: () => void): CommitWake<R> {
  const flags = new WeakMap<object, { queued: boolean }>();
  const wrapped = Object.create(store) as TransactionalStore<R>;
  wrapped.transaction = async <T>(fn: (tx: R) => Promise<T>) => {
    const flag = { queued: false };
    const result = await store.transaction((tx: R) => {
      flags.set(tx, flag);
      return fn(tx);
    });
    if (flag.queued) wake();
    return result;
  };
  return {
    store: wrapped,
    markQueued(tx) {
      const flag = flags.get(tx);
      if (flag) flag.queued = true;
      else wake();
    },
  };
}
