/**
 * Finds every change that can change a tags-list page, whichever path made it (the registry
 * service, retention, the scan orchestrator's verdicts, release-policy sweeps, a test writing
 * to `services.store`): the write methods of the roles a page is made from are wrapped, on the
 * top-level store and on each transaction's roles. `changed()` runs after the call returned
 * (top level) or after the transaction ended (committed or rolled back: a needless
 * invalidation after a rollback is harmless; one before the commit would let a reader cache
 * the old rows again).
 *
 * The wrapper inherits every other role object and method from the store (as
 * events/commit-wake.ts does); a transaction's role objects are its own per transaction, so
 * they are wrapped in place.
 */
import type { MetadataStore } from '../persistence/index.ts';

/** Role methods that write what a tags list shows: tags, their manifests (listEnabled, deletes), verdicts, repositories. */
const WRITES = {
  tags: ['put', 'delete', 'updateAttributes'],
  manifests: ['put', 'delete', 'updateAttributes'],
  repositories: ['delete', 'updateAttributes'],
  verdicts: ['set'],
} as const;

type Role = keyof typeof WRITES;

function wrapRoles(target: Record<string, unknown>, source: MetadataStore, mark: () => void) {
  for (const role of Object.keys(WRITES) as Role[]) {
    const original = source[role] as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const wrapped = Object.create(original) as Record<string, unknown>;
    for (const method of WRITES[role]) {
      wrapped[method] = async (...args: unknown[]) => {
        try {
          return await original[method]!(...args);
        } finally {
          mark();
        }
      };
    }
    target[role] = wrapped;
  }
}

export function watchTagListChanges(store: MetadataStore, changed: () => void): MetadataStore {
  const watched = Object.create(store) as MetadataStore;
  wrapRoles(watched as unknown as Record<string, unknown>, store, changed);
  watched.transaction = async <T>(fn: (tx: Parameters<Parameters<MetadataStore['transaction']>[0]>[0]) => Promise<T>) => {
    let wrote = false;
    try {
      return await store.transaction((tx) => {
        wrapRoles(tx as unknown as Record<string, unknown>, { ...tx } as MetadataStore, () => (wrote = true));
        return fn(tx);
      });
    } finally {
      if (wrote) changed();
    }
  };
  return watched;
}
