/**
 * The store conformance suite (architecture.md, "One conformance suite per seam"). Every
 * backend runs it: `runMetadataStoreSuite({ name, create, sections })`; both SQL dialects pass
 * the same sections: the core's (suite/index.ts) and every module's, joined by
 * src/persistence/ (`storeSuiteSections`).
 */
import { after, before, describe } from 'node:test';
import type { CoreRoles, TransactionalStore } from './metadata-store.ts';
import { createNames, type MetadataStoreFixture, type MetadataSuiteContext, type MetadataSuiteSection } from './suite/context.ts';

export type { MetadataStoreFixture, MetadataSuiteContext, MetadataSuiteSection };

export interface MetadataStoreSuiteOptions<R extends CoreRoles> {
  name: string;
  /** A fresh, migrated, empty store; called once per run. */
  create(): Promise<MetadataStoreFixture<R>>;
  /** The sections to run, in order. */
  sections: MetadataSuiteSection<R>[];
  /** A reason to skip the whole run (e.g. PostgreSQL unreachable outside CI), or false. */
  skip?: string | false;
}

export function runMetadataStoreSuite<R extends CoreRoles>(options: MetadataStoreSuiteOptions<R>): void {
  describe(`MetadataStore conformance: ${options.name}`, { skip: options.skip }, () => {
    let fixture: MetadataStoreFixture<R> | undefined;
    before(async () => {
      fixture = await options.create();
    });
    after(async () => {
      await fixture?.destroy();
    });
    const names = createNames();
    const ctx: MetadataSuiteContext<R> = {
      store(): TransactionalStore<CoreRoles & R> {
        if (!fixture) throw new Error('the store is not open (create() failed or the suite has ended)');
        return fixture.store;
      },
      repo: names.repo,
      unique: names.unique,
    };
    for (const section of options.sections) section(ctx);
  });
}
