/**
 * Finds every change that can change a tags-list page, whichever path made it (the registry
 * service, retention, the recycle bin, the scan orchestrator's verdicts, release-policy sweeps,
 * a test writing to `services.store`): the write methods of the roles a page is made from are
 * wrapped, on the top-level store and on each transaction's roles. Two things follow a change:
 *
 * - The repository's tags-list generation (TagListGenerationStore) is raised IN THE CHANGE'S
 *   TRANSACTION: a top-level write runs in a transaction of its own with its bump, and a
 *   transaction bumps every repository it touched after its function returned, just before it
 *   commits. So no node can read the new rows with the old generation, or the new generation
 *   before the rows (it would cache an old page under a new generation), and no node that dies
 *   after the commit leaves a change without its bump. The bumps come last and in lexical
 *   order, so the row locks they take on PostgreSQL cannot form a cycle with each other or with
 *   the locks the transaction took before (a transaction waiting for a generation row holds
 *   only locks no bump ever waits for).
 * - `changed()` runs after the call returned (top level) or after the transaction ended
 *   (committed or rolled back: a needless invalidation after a rollback is harmless; one before
 *   the commit would let a reader cache the old rows again).
 *
 * The wrapper inherits every other role object and method from the store (as
 * events/commit-wake.ts does); a transaction's role objects are its own per transaction, so
 * they are wrapped in place.
 */
import type { MetadataStore, StoreRoles } from '../persistence/index.ts';

/** Role methods that write what a tags list shows: tags, their manifests (listEnabled, deletes), verdicts, repositories. */
const WRITES = {
  tags: ['put', 'delete', 'updateAttributes'],
  manifests: ['put', 'delete', 'updateAttributes'],
  repositories: ['delete', 'updateAttributes'],
  verdicts: ['set', 'setMany'],
} as const;

type Role = keyof typeof WRITES;
type Method = (...args: unknown[]) => Promise<unknown>;

/** Every wrapped method names its repository first: as a string (verdicts.setMany too), or as the input's `repository` (verdicts.set). */
const repositoryOf = (args: unknown[]): string => (typeof args[0] === 'string' ? args[0] : (args[0] as { repository: string }).repository);

const methodOf = (roles: StoreRoles, role: Role, method: string): Method => {
  const object = roles[role] as unknown as Record<string, Method>;
  return object[method]!.bind(object);
};

function wrapRoles(target: Record<string, unknown>, write: (role: Role, method: string, args: unknown[]) => Promise<unknown>, source: StoreRoles) {
  for (const role of Object.keys(WRITES) as Role[]) {
    const wrapped = Object.create(source[role]) as Record<string, unknown>;
    for (const method of WRITES[role]) wrapped[method] = (...args: unknown[]) => write(role, method, args);
    target[role] = wrapped;
  }
}

export function watchTagListChanges(store: MetadataStore, changed: () => void): MetadataStore {
  const watched = Object.create(store) as MetadataStore;
  wrapRoles(
    watched as unknown as Record<string, unknown>,
    async (role, method, args) => {
      try {
        return await store.transaction(async (tx) => {
          const result = await methodOf(tx, role, method)(...args);
          await tx.tagListGenerations.bump([repositoryOf(args)]);
          return result;
        });
      } finally {
        changed();
      }
    },
    store,
  );
  watched.transaction = async <T>(fn: (tx: StoreRoles) => Promise<T>) => {
    const touched = new Set<string>();
    try {
      return await store.transaction(async (tx) => {
        const roles = { ...tx } as StoreRoles;
        wrapRoles(
          tx as unknown as Record<string, unknown>,
          async (role, method, args) => {
            try {
              return await methodOf(roles, role, method)(...args);
            } finally {
              touched.add(repositoryOf(args));
            }
          },
          roles,
        );
        const result = await fn(tx);
        if (touched.size > 0) await tx.tagListGenerations.bump([...touched].sort());
        return result;
      });
    } finally {
      if (touched.size > 0) changed();
    }
  };
  return watched;
}
